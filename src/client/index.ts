/**
 * @packageDocumentation
 * Kiln in a web page: `connect()` to the origin's node (a SharedWorker shared by every tab) and
 * create, update, load, query and subscribe to Ceramic-compatible streams. The page bundle holds
 * no store or network code: all of that runs in the worker.
 */
export { connect, type ConnectOptions, type FileCallOptions, type Kiln } from './connect.js'
export type { EthereumProvider, SignInOptions } from './sign-in.js'
export type {
  CreateOptions, UpdateOptions, StreamSnapshot, SnapshotMetadata, SnapshotLogEntry, HistoryEntry, StreamQuery, PageRequest, Page,
  AnchorChains, FileInfo, FileProgress, GarbageCollected, GarbageCollectionOptions, NodeStats, NodeStatus, NodeMode, NetworkStatus, SessionInfo, ImportedCar, Follow, FollowStatus,
  BatchWrite, Conflict, ConflictSide, ConflictResolution, FieldCondition, FieldFilter, ForkChanges, IndexDefinition, IndexStatus, IndexValue
} from '../api/types.js'
export { CALLS, type CallRule, type NodeCalls } from '../api/calls.js'
// Every typed error a page can receive, to branch on with `hasCode(err, StaleTipError)` or `err.code`.
export * from '../errors.js'
/**
 * The kit: standard Models for social apps, their indexes, and ids found from DIDs alone. Loaded
 * on first use, as the wallet code is, so pages that do not use it do not carry it.
 */
export async function loadKit (): Promise<typeof import('../kit/index.js')> {
  return await import('../kit/index.js')
}
