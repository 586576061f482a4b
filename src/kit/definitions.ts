import type { ModelDefinition } from '../streams/model.js'

/**
 * The kit's standard Models: what a social app on Kiln needs first. Strict 2020-12 schemas (every
 * object closes its properties, every string and list has a bound), relations for backlinks, and
 * the account relation that makes each one findable: a Profile is `single` (one per account, at a
 * StreamID anyone computes from the DID), a Follow, a Reaction and a LinkedAccount are `set` (one
 * per account and target). Published once by scripts/publish-kit.ts; src/kit/published.ts holds the signed geneses.
 */
const SCHEMA = 'https://json-schema.org/draft/2020-12/schema'
const did = { type: 'string', maxLength: 1024, pattern: '^did:' } as const
const streamId = { type: 'string', maxLength: 100 } as const
const time = { type: 'integer', minimum: 0 } as const

const model = (name: string, description: string, accountRelation: ModelDefinition['accountRelation'], properties: Record<string, unknown>, required: string[], relations?: Record<string, unknown>): ModelDefinition => ({
  version: '2.0',
  name,
  description,
  interface: false,
  implements: [],
  accountRelation,
  schema: { $schema: SCHEMA, type: 'object', additionalProperties: false, properties, required },
  ...(relations == null ? {} : { relations })
})

export const PROFILE = model('KilnProfile', 'An account\'s public profile: one per account', { type: 'single' }, {
  name: { type: 'string', maxLength: 100 },
  bio: { type: 'string', maxLength: 1000 },
  avatar: { type: 'string', maxLength: 500, description: 'An image: an ipfs:// CID or a URL' },
  links: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 500 } }
}, [])

export const FOLLOW = model('KilnFollow', 'One account following another: one per pair', { type: 'set', fields: ['followed'] }, {
  followed: did,
  since: time
}, ['followed'], { followed: { type: 'account' } })

export const POST = model('KilnPost', 'A post or a long-form publication, optionally a reply', { type: 'list' }, {
  title: { type: 'string', maxLength: 300 },
  body: { type: 'string', maxLength: 100_000 },
  tags: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 50 } },
  replyTo: streamId,
  published: time
}, ['body', 'published'], { replyTo: { type: 'document', model: null } })

export const COMMENT = model('KilnComment', 'A comment on any document', { type: 'list' }, {
  target: streamId,
  text: { type: 'string', maxLength: 10_000 },
  published: time
}, ['target', 'text', 'published'], { target: { type: 'document', model: null } })

export const REACTION = model('KilnReaction', 'An account\'s reaction to a document: one per target', { type: 'set', fields: ['target'] }, {
  target: streamId,
  kind: { type: 'string', maxLength: 32 }
}, ['target', 'kind'], { target: { type: 'document', model: null } })

// CAIP-10: `<namespace>:<chain reference>:<address>` (eip155:1:0xab…, solana:5eykt…:7xKX…).
const caip10 = { type: 'string', maxLength: 200, pattern: '^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}:[-.%a-zA-Z0-9]{1,128}$' } as const

// `issued` (ms) is part of the signed text; `signature` is EIP-191 hex (Ethereum) or base58 Ed25519 (Solana).
export const LINKED_ACCOUNT = model('KilnLinkedAccount', 'An account (CAIP-10) of this identity, with its signed proof: one per account', { type: 'set', fields: ['account'] }, {
  account: caip10,
  issued: time,
  signature: { type: 'string', maxLength: 300 },
  status: { type: 'string', enum: ['active', 'revoked'] }
}, ['account', 'issued', 'signature', 'status'])

// `jwt` is the credential as its issuer signed it; the other fields repeat its claims for queries
// (`issued` and `expires` in ms: the JWT's nbf and exp).
export const CREDENTIAL = model('KilnCredential', 'A W3C verifiable credential (VC-JWT), checked on read', { type: 'list' }, {
  jwt: { type: 'string', maxLength: 20_000 },
  issuer: did,
  subject: did,
  types: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 100 } },
  issued: time,
  expires: time
}, ['jwt', 'issuer', 'subject', 'types', 'issued'])

export const KIT_MODELS = { profile: PROFILE, follow: FOLLOW, post: POST, comment: COMMENT, reaction: REACTION, linkedAccount: LINKED_ACCOUNT, credential: CREDENTIAL } as const
export type KitModelName = keyof typeof KIT_MODELS
