/**
 * @packageDocumentation
 * `kiln/node`: the stream node in a Node.js program. A StreamNode over a store (LevelDB on disk,
 * or memory) and a signer (a did:key from a 32-byte seed); no network unless you add a server peer
 * (`kiln/server`). Errors are the typed classes of src/errors.ts: branch on `err.code`.
 *
 * @example
 * ```ts
 * import { createStreamNode, createDiskStore, createDidKeySigner } from 'kiln/node'
 * const node = createStreamNode({ store: await createDiskStore({ path: './data' }), signer: await createDidKeySigner(seed) })
 * const note = await node.create({ content: { title: 'Hello' } })
 * ```
 */
// Ed25519 and Recon's key hashes on node:crypto rather than WebCrypto and JS (faster in Node; the same results).
import '../identity/ed25519-node.js'
import '../sync/sha256a-node.js'
export {
  createStreamNode, type StreamNode, type StreamNodeComponents, type CreateOptions, type UpdateOptions,
  type HistoryEntry, type NodeStats, type StreamListener, type CommitEvent, type StreamHeads, type IngestWitness
} from '../node/stream-node.js'
export type { StreamSnapshot, SnapshotMetadata, SnapshotLogEntry, PrivateState, ShareChange } from '../api/types.js'
export { encryptionKeyFromSeed, generateEncryptionKey, type EncryptionKey } from '../identity/encryption-key.js'
export { keyDirectoryId } from '../private/key-directory.js'
export { createLogger, silentLogger, type Logger } from '../logger.js'
export { createDiskStore, type DiskStoreInit } from '../store/disk-store.js'
export { createMemoryStore } from '../store/memory-store.js'
export type { Store, StreamQuery, PageRequest, Page, StoreStats, StreamRecord } from '../store/store.js'
export { createDidKeySigner, createKeySigner, withCapability, type Signer } from '../identity/signer.js'
export type { AnchorValidator } from '../identity/verify.js'
export { evmAnchorValidator, type EvmAnchorOptions, type EvmChainOptions } from '../anchors/evm-anchors.js'
export * from '../errors.js'
export {
  KIT, KIT_INDEXES, KIT_MODELS, KIT_PUBLISHER, followId, installKit, kitQueries, profileId, type KitModelName, type KitNode,
  linkMessage, normalAccount, linkAccount, unlinkAccount, linkedAccounts, identityOf, linkedAccountId,
  verifyCredential, storeCredential, credentialsOf,
  type AccountLink, type LinkedAccount, type LinkProblem, type CredentialCheck, type CredentialContent, type CredentialProblem, type VerifiedCredential, type VerifyCredentialOptions, type HeldCredential
} from '../kit/index.js'
