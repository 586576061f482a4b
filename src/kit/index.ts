/**
 * The kit: Kiln's standard Models for social apps (definitions.ts), as published (published.ts),
 * and what an app does with them: install them on its node with the indexes their queries need,
 * find an account's profile or follow from DIDs alone, the queries for feeds and the social
 * graph, and the identity documents checked on read: linked accounts (links.ts) and verifiable
 * credentials (held-credentials.ts). Works with a page's `Kiln` and with a StreamNode alike.
 */
import { base64 } from 'multiformats/bases/base64'
import type { IndexStatus, StreamQuery } from '../api/types.js'
import type { KitModelName } from './definitions.js'
import { KIT } from './ids.js'
import { PUBLISHED } from './published.js'
import type * as DocsModule from './identity-docs.js'

export { KIT_MODELS, type KitModelName } from './definitions.js'
export { KIT_PUBLISHER } from './published.js'
export { KIT, followId, profileId } from './ids.js'
export type { LinkProblem } from '../identity/account-proof.js'
export type { LinkedAccount, AccountLink, LinkNode } from './links.js'
export type { CredentialCheck, CredentialContent, CredentialProblem, VerifiedCredential, VerifyCredentialOptions } from '../identity/vc-jwt.js'
export type { HeldCredential } from './held-credentials.js'

// Linked accounts and credentials, with the signature checks they need, load on first use
// (kiln-identity-docs.js), so each of these returns a promise, linkMessage too.
type Docs = typeof DocsModule
type Loaded<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never
function lazy<K extends keyof Docs> (name: K): Loaded<Docs[K]> {
  const call = async (...args: unknown[]): Promise<unknown> => await ((await import('./identity-docs.js'))[name] as (...a: unknown[]) => unknown)(...args)
  return call as Loaded<Docs[K]>
}
export const linkMessage = lazy('linkMessage')
export const normalAccount = lazy('normalAccount')
export const linkAccount = lazy('linkAccount')
export const unlinkAccount = lazy('unlinkAccount')
export const linkedAccounts = lazy('linkedAccounts')
export const identityOf = lazy('identityOf')
export const linkedAccountId = lazy('linkedAccountId')
export const storeCredential = lazy('storeCredential')
export const credentialsOf = lazy('credentialsOf')
export const verifyCredential = lazy('verifyCredential')

/** The indexes the kit's queries read (relation fields are indexed by themselves). */
export const KIT_INDEXES: Record<KitModelName, string[][]> = {
  profile: [['name']],
  follow: [['$controller', 'since']],
  post: [['$controller', 'published'], ['tags', 'published'], ['published']],
  comment: [['target', 'published']],
  reaction: [['target', 'kind']],
  linkedAccount: [['account'], ['$controller', 'issued']],
  credential: [['subject', 'issued'], ['issuer', 'issued']]
}

/** What installing needs of a node: a page's `Kiln` or a StreamNode. */
export interface KitNode {
  has: (ref: string) => Promise<boolean>
  importCar: (bytes: Uint8Array) => Promise<unknown>
  indexModel: (model: string, indexes: string[][]) => Promise<IndexStatus[]>
}

/** Stores the kit's Models on the node (verified like any import) and declares their indexes. */
export async function installKit (node: KitNode): Promise<Record<KitModelName, string>> {
  for (const name of Object.keys(PUBLISHED) as KitModelName[]) {
    const { id, car } = PUBLISHED[name]
    if (!await node.has(id)) await node.importCar(base64.baseDecode(car))
    await node.indexModel(id, KIT_INDEXES[name])
  }
  return KIT
}

/** The queries of the social graph and the feeds, served from the kit's indexes. */
export const kitQueries = {
  followersOf: (account: string): StreamQuery => ({ model: KIT.follow, where: { followed: account } }),
  followedBy: (account: string): StreamQuery => ({ model: KIT.follow, where: { $controller: account }, sort: { since: 'desc' } }),
  postsBy: (account: string): StreamQuery => ({ model: KIT.post, where: { $controller: account }, sort: { published: 'desc' } }),
  /** Posts of these accounts, newest first (at most 64 accounts: one index range each). */
  feedOf: (accounts: string[]): StreamQuery => ({ model: KIT.post, where: { $controller: { in: accounts } }, sort: { published: 'desc' } }),
  postsTagged: (tag: string): StreamQuery => ({ model: KIT.post, where: { tags: tag }, sort: { published: 'desc' } }),
  repliesTo: (post: string): StreamQuery => ({ model: KIT.post, where: { replyTo: post } }),
  commentsOn: (target: string): StreamQuery => ({ model: KIT.comment, where: { target }, sort: { published: 'asc' } }),
  reactionsTo: (target: string, kind?: string): StreamQuery => ({ model: KIT.reaction, where: kind == null ? { target } : { target, kind } })
}
