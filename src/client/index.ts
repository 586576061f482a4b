/**
 * @packageDocumentation
 * Kiln in a web page: `connect()` to the origin's node (a SharedWorker shared by every tab) and
 * create, update, load, query and subscribe to Ceramic-compatible streams. The page bundle holds
 * no store or network code: all of that runs in the worker.
 */
export { connect, type ConnectOptions, type Kiln } from './connect.js'
export type { EthereumProvider, SignInOptions } from './sign-in.js'
export type { SessionInfo } from '../identity/sessions.js'
export type { StreamSnapshot, SnapshotMetadata, SnapshotLogEntry } from '../node/snapshot.js'
export type { CreateOptions, UpdateOptions, HistoryEntry, NodeStats } from '../node/stream-node.js'
export type { NodeStatus } from '../node/api.js'
export type { StreamQuery, PageRequest, Page } from '../store/store.js'
export { KilnError, errorFromPlain, type KilnErrorLike } from '../errors.js'
