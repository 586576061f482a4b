/**
 * Kiln's peer-to-peer sync (environment-neutral: Node and browser workers). Build a libp2p node
 * with `createKilnLibp2p` (or `kilnLibp2pOptions`), then `startSync({ node, libp2p, denyList })`.
 */
export { startSync, type Sync, type SyncInit, type SyncStatus } from './sync.js'
export { kilnLibp2pOptions, createKilnLibp2p, createPeerKey, encodePeerKey, decodePeerKey, type KilnLibp2p, type KilnLibp2pInit, type KilnServices } from './libp2p-config.js'
export { createDenyList, type DenyList } from './peer-score.js'
export { startBootstrap, type Bootstrap } from './bootstrap.js'
export { ALL_STREAMS, ownAndHeldInterests, parseInterest, type SyncInterest } from './interests.js'
export { encodeUpdate, decodeMessage, type UpdateMessage } from './messages.js'
export { SyncProtocolError, RateLimitedError, PeerUnavailableError } from '../errors.js'
export * from './constants.js'
