/**
 * Linked accounts: one identity across wallets. A LinkedAccount document on the identity's own
 * stream says "account X is mine" and carries X's signature of a text naming both
 * (identity/link-message.ts, identity/account-proof.ts). Readers check every proof themselves: a link counts only while its proof
 * holds for the document's controller and its status is 'active'. Revoking sets the status to
 * 'revoked' (an update by the identity; the account is not needed).
 */
import type { NodeCalls } from '../api/calls.js'
import type { StreamSnapshot } from '../api/types.js'
import { InvalidSignatureError } from '../errors.js'
import { checkLinkProof, type LinkProblem } from '../identity/account-proof.js'
import { encodeSolanaSignature, normalAccount } from '../identity/link-message.js'
import { KIT, deterministicId } from './ids.js'

/** What the link helpers need of a node: a page's `Kiln` or a StreamNode. */
export type LinkNode = Pick<NodeCalls, 'create' | 'update' | 'load' | 'query'>

/** A link as the account signed it. */
export interface AccountLink {
  /** The identity the account joins (the DID the node writes as). */
  did: string
  /** CAIP-10: `eip155:<chain>:<0x address>` or `solana:<chain>:<base58 address>`. */
  account: string
  /** When the account signed (ms): part of the signed text, `linkMessage(did, account, issued)`. */
  issued: number
  /** Ethereum: personal_sign's 0x hex. Solana: signMessage's 64 bytes, or them in base58. */
  signature: string | Uint8Array
}

/** A linked account as a reader sees it. */
export interface LinkedAccount {
  /** The LinkedAccount document's StreamID. */
  id: string
  /** The identity (the document's controller). */
  did: string
  account: string
  issued: number
  /** Whether the account's signature holds for this identity. */
  valid: boolean
  /** Why not, when it does not. */
  problem?: LinkProblem
}

interface LinkContent {
  account: string
  issued: number
  signature: string
  status: 'active' | 'revoked'
}

/** The StreamID of `did`'s link of `account` (one per account). */
export async function linkedAccountId (did: string, account: string): Promise<string> {
  return await deterministicId(KIT.linkedAccount, did, [normalAccount(account)])
}

/**
 * Writes (or renews) the link, after checking its proof: a signature that does not hold is refused
 * with ERR_INVALID_SIGNATURE and nothing is written. `link.did` must be the identity the node
 * writes as; a link on another identity's stream would be read as invalid.
 */
export async function linkAccount (kiln: LinkNode, link: AccountLink): Promise<StreamSnapshot> {
  const account = normalAccount(link.account)
  const signature = typeof link.signature === 'string' ? link.signature : encodeSolanaSignature(link.signature)
  const problem = await checkLinkProof(link.did, account, link.issued, signature)
  if (problem != null) throw new InvalidSignatureError(`The signature is not ${account}'s of the link to ${link.did} (${problem})`, { account, did: link.did, problem })
  const content: LinkContent = { account, issued: link.issued, signature, status: 'active' }
  return await kiln.create({ type: 'MID', model: KIT.linkedAccount, unique: [account], content })
}

/** Revokes the link: readers stop counting it at once (the document stays, with status 'revoked'). */
export async function unlinkAccount (kiln: LinkNode, did: string, account: string): Promise<StreamSnapshot> {
  return await kiln.update(await linkedAccountId(did, account), { patch: [{ op: 'replace', path: '/status', value: 'revoked' }] })
}

/**
 * The accounts linked to `did` whose proofs hold (revoked links never count). With
 * `includeInvalid`, links whose proof does not hold are listed too, with `valid: false` and why:
 * an app may show them as unverified, never as the identity's.
 */
export async function linkedAccounts (kiln: LinkNode, did: string, options: { includeInvalid?: boolean } = {}): Promise<LinkedAccount[]> {
  const page = await kiln.query({ model: KIT.linkedAccount, where: { $controller: did }, sort: { issued: 'asc' } }, { limit: 1000 })
  const links = await Promise.all(page.items.map(checked))
  return links.filter((l): l is LinkedAccount => l != null && (l.valid || options.includeInvalid === true))
}

/** The identities (DIDs) that `account` joined with a proof that holds, oldest link first. */
export async function identityOf (kiln: LinkNode, account: string): Promise<string[]> {
  const page = await kiln.query({ model: KIT.linkedAccount, where: { account: normalAccount(account) } }, { limit: 1000 })
  const links = (await Promise.all(page.items.map(checked))).filter((l): l is LinkedAccount => l?.valid === true)
  return [...new Set(links.sort((a, b) => a.issued - b.issued).map((l) => l.did))]
}

/** A link document checked against its controller; undefined when revoked (or emptied). */
async function checked (doc: StreamSnapshot): Promise<LinkedAccount | undefined> {
  const content = doc.content as Partial<LinkContent> | null
  if (content?.status !== 'active' || typeof content.account !== 'string' || typeof content.issued !== 'number') return undefined
  const did = doc.metadata.controllers[0]
  const problem = await checkLinkProof(did, content.account, content.issued, content.signature as string)
  const link: LinkedAccount = { id: doc.id, did, account: content.account, issued: content.issued, valid: problem == null }
  if (problem != null) link.problem = problem
  return link
}
