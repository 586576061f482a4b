/**
 * The one list of the calls a page makes on its node. Every transport is derived from it: the
 * page's `Kiln` (client/connect.ts), the worker's serving side (host/serve.ts) and both halves of
 * the fallback relay (client/relay-*.ts). A new call is the node method, one line in CALLS, and
 * its test.
 */
import type { Cacao } from '@didtools/cacao'
import type { KilnErrorLike } from '../errors.js'
import type {
  AnchorChains, BatchWrite, Conflict, ConflictResolution, CreateOptions, FileInfo, FileProgress, Follow, FollowStatus, ForkChanges, GarbageCollected, GarbageCollectionOptions, HistoryEntry, ImportedCar, IndexStatus, NodeStats, NodeStatus, Page, PageRequest, PresencePeer, SessionInfo, ShareChange, StreamQuery, StreamSnapshot, UpdateOptions
} from './types.js'

/** The node's calls: plain data in, plain data out. */
export interface NodeCalls {
  create: (options: CreateOptions) => Promise<StreamSnapshot>
  update: (id: string, change: UpdateOptions) => Promise<StreamSnapshot>
  /**
   * A private document's readers (accounts): `add` wraps its content key for their devices,
   * `remove` seals later versions under a new key; with neither, the key is wrapped for devices
   * its readers published since. Only the controller can share.
   */
  share: (id: string, change: ShareChange) => Promise<StreamSnapshot>
  /**
   * Publishes this device's encryption key in the signed-in account's key directory (once; later
   * calls change nothing) and returns the directory: others can then share private documents with
   * the account. Creating a private document does it too; so does a sign-in or a start for an
   * account whose directory this node already holds.
   */
  publishEncryptionKey: () => Promise<StreamSnapshot>
  /**
   * Many creates and updates in one call and one store transaction, all or nothing: signed
   * concurrently, each commit verified, then stored together. Returns each write's stream as
   * it is after the call, in the order given.
   */
  writeMany: (writes: BatchWrite[]) => Promise<StreamSnapshot[]>
  /**
   * A new stream controlled by this node's author, from a version of another (a StreamID: its
   * current version; a CommitID: that one), with `changes` applied to its content. The source's
   * CommitID is in the fork's genesis (`metadata.forkOf`); `query({ forkOf: id })` lists the forks
   * of a stream. The source is fetched from peers if not held; its author is never asked.
   */
  fork: (ref: string, changes?: ForkChanges) => Promise<StreamSnapshot>
  /** A StreamID gives the canonical state; a CommitID the state at that commit (read-only). Fetched from peers if not held. */
  load: (ref: string) => Promise<StreamSnapshot>
  /** Whether this node holds the stream (of a StreamID or CommitID), without reading its state or asking peers. */
  has: (ref: string) => Promise<boolean>
  history: (id: string) => Promise<HistoryEntry[]>
  /** The stream's open conflicts (its snapshots carry them too, so subscriptions hear of new ones). */
  conflicts: (id: string) => Promise<Conflict[]>
  /** Writes the chosen value with a resolution marker; the conflict closes on every node that syncs it. */
  resolveConflict: (id: string, resolution: ConflictResolution) => Promise<StreamSnapshot>
  /** Documents by record fields, or a Model's documents by content fields (`where`, `sort`) from its indexes. */
  query: (query: StreamQuery, page?: PageRequest) => Promise<Page<StreamSnapshot>>
  /** How many streams a query matches, from the same indexes. */
  count: (query: StreamQuery) => Promise<number>
  /**
   * Declares field indexes of a Model (each a list of dotted content paths, `$controller` for the
   * account): kept on every write from now on; documents held already are indexed in the
   * background (see `indexes`), and queries that need an index wait for it. Relation fields are
   * indexed without being declared.
   */
  indexModel: (model: string, indexes: string[][]) => Promise<IndexStatus[]>
  /** The field indexes of one Model, or of every Model, with build progress. */
  indexes: (model?: string) => Promise<IndexStatus[]>
  exportCar: (id: string) => Promise<Uint8Array>
  /** Verifies and stores every commit of a CAR (any root, every branch); a bad CAR stores nothing. */
  importCar: (bytes: Uint8Array) => Promise<ImportedCar>
  pin: (id: string) => Promise<void>
  unpin: (id: string) => Promise<void>
  stats: () => Promise<NodeStats>
  status: () => Promise<NodeStatus>
  /** Wallet sign-in, step 1: the node makes a session key and returns its DID (the CACAO audience). */
  prepareSession: () => Promise<string>
  /** Wallet sign-in, step 2: the node checks the wallet-signed CACAO and keeps the session. */
  completeSession: (cacao: Cacao) => Promise<SessionInfo>
  sessions: () => Promise<SessionInfo[]>
  /** Forgets one account's session, or every session. */
  signOut: (account?: string) => Promise<void>
  /** Connects to these peers (server peers' WebSocket multiaddrs) and syncs with them; starts networking. */
  addPeers: (addrs: string[]) => Promise<void>
  /**
   * Follows a Model's documents (other people's too): the node catches up on them from its peers
   * and keeps them current, across restarts, until `unfollow`. Query and subscribe as usual.
   */
  follow: (follow: Follow) => Promise<FollowStatus>
  /**
   * Stops following, and forgets the documents of it this node no longer needs: its own accounts',
   * pinned ones and those another follow covers stay. Returns how many were forgotten.
   */
  unfollow: (follow: Follow) => Promise<{ forgotten: number }>
  follows: () => Promise<FollowStatus[]>
  /**
   * Checks anchor proofs against these chains from now on (added to those trusted already), so
   * anchored streams verify and are judged at their anchors' times. Returns every trusted chain.
   */
  trustAnchorChains: (chains: AnchorChains) => Promise<string[]>
  /**
   * Tells the other browsers looking at a stream that this one is too, with a small JSON state (a
   * cursor, typing); null leaves. Signed by the device key, sent over the node's connections (direct
   * or through a server), again every 10 s while set, never stored. ERR_RATE_LIMITED past 10 a
   * second, ERR_OVERSIZE past 1 KiB. Without a network (no peers added) nobody is told.
   */
  setPresence: (id: string, state: unknown) => Promise<void>
  /** Who else is looking at a stream now (each presence expires 30 s after it was sent); watches it from now on. */
  presence: (id: string) => Promise<PresencePeer[]>
  /**
   * Stores a file (UnixFS, CIDv1, raw leaves) in the node's IndexedDB; all or nothing
   * (ERR_FILE_TOO_LARGE, ERR_STORE_FULL). Adding the same bytes again gives the same CID.
   */
  addFile: (data: Blob | Uint8Array, onProgress?: (progress: FileProgress) => void) => Promise<FileInfo>
  /** A file's bytes, each block verified; blocks this node lacks are asked of its peers. */
  readFile: (cid: string, onProgress?: (progress: FileProgress) => void) => Promise<Blob>
  /**
   * Removes file blocks that no document this node holds refers to (any commit of any stream, every
   * branch) and that are older than the grace period (default one hour): `{ removed, kept, bytesFreed }`.
   */
  collectGarbage: (options?: GarbageCollectionOptions) => Promise<GarbageCollected>
}

/**
 * Calls about one client's connection. They carry listeners (Comlink proxies) or ids of them, so
 * each transport handles them itself; listeners always stay in the page.
 */
export interface ConnectionCalls {
  /** Announces the client; its subscriptions end when the client's tab is gone. */
  hello: (clientId: string) => Promise<void>
  /** The client closed its Kiln (its tab may live on): its subscriptions and slot end now. */
  bye: () => Promise<void>
  /** Registers a listener; returns an id for `unsubscribe`. */
  subscribe: (target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void) => Promise<number>
  unsubscribe: (subscriptionId: number) => Promise<void>
  /** Registers a listener told once if the store is closed underneath the node. */
  onClosed: (listener: (error: KilnErrorLike) => void) => Promise<void>
}

/** What the worker serves on each client's port. */
export type WorkerApi = NodeCalls & ConnectionCalls

export interface CallRule {
  /**
   * Safe to run twice: a follower tab sends it again to a new leader even when the old one had
   * taken it (client/relay-client.ts). Writes are not: their outcome is unknown then.
   */
  retrySafe: boolean
  /**
   * Who answers it in the worker: the StreamNode method of the same name, the host (network,
   * sessions, status), or the client's connection.
   */
  servedBy: 'node' | 'host' | 'connection'
  /** A step of another page call (signIn): the page's Kiln has no such method. */
  internal?: true
}

export const CALLS = {
  create: { retrySafe: false, servedBy: 'node' },
  update: { retrySafe: false, servedBy: 'node' },
  share: { retrySafe: false, servedBy: 'node' },
  // A second run finds the key listed and writes nothing.
  publishEncryptionKey: { retrySafe: true, servedBy: 'node' },
  writeMany: { retrySafe: false, servedBy: 'node' },
  // The host fetches a source it does not hold from its peers first, as `load` does.
  fork: { retrySafe: false, servedBy: 'host' },
  load: { retrySafe: true, servedBy: 'host' },
  has: { retrySafe: true, servedBy: 'node' },
  history: { retrySafe: true, servedBy: 'node' },
  conflicts: { retrySafe: true, servedBy: 'node' },
  resolveConflict: { retrySafe: false, servedBy: 'node' },
  query: { retrySafe: true, servedBy: 'node' },
  count: { retrySafe: true, servedBy: 'node' },
  indexModel: { retrySafe: true, servedBy: 'node' },
  indexes: { retrySafe: true, servedBy: 'node' },
  exportCar: { retrySafe: true, servedBy: 'node' },
  importCar: { retrySafe: false, servedBy: 'node' },
  pin: { retrySafe: true, servedBy: 'node' },
  unpin: { retrySafe: true, servedBy: 'node' },
  stats: { retrySafe: true, servedBy: 'node' },
  status: { retrySafe: true, servedBy: 'host' },
  prepareSession: { retrySafe: false, servedBy: 'host', internal: true },
  completeSession: { retrySafe: false, servedBy: 'host', internal: true },
  sessions: { retrySafe: true, servedBy: 'host' },
  signOut: { retrySafe: true, servedBy: 'host' },
  addPeers: { retrySafe: true, servedBy: 'host' },
  follow: { retrySafe: true, servedBy: 'host' },
  unfollow: { retrySafe: true, servedBy: 'host' },
  follows: { retrySafe: true, servedBy: 'host' },
  trustAnchorChains: { retrySafe: true, servedBy: 'host' },
  // Sending a presence twice only refreshes it.
  setPresence: { retrySafe: true, servedBy: 'host' },
  presence: { retrySafe: true, servedBy: 'host' },
  // Page methods of their own (connect.ts): they carry a progress listener. Adding is content
  // addressed, so doing it twice stores the same blocks once.
  addFile: { retrySafe: true, servedBy: 'host', internal: true },
  readFile: { retrySafe: true, servedBy: 'host', internal: true },
  collectGarbage: { retrySafe: true, servedBy: 'host' },
  // The connection calls are idempotent per client (the host and the relay leader make them so).
  hello: { retrySafe: true, servedBy: 'connection' },
  bye: { retrySafe: true, servedBy: 'connection' },
  subscribe: { retrySafe: true, servedBy: 'connection' },
  unsubscribe: { retrySafe: true, servedBy: 'connection' },
  onClosed: { retrySafe: true, servedBy: 'connection' }
} as const satisfies Record<keyof WorkerApi, CallRule>

type Calls = typeof CALLS
export type CallName = keyof Calls
type CallsWhere<Rule> = { [M in CallName]: Calls[M] extends Rule ? M : never }[CallName]

/** Calls the StreamNode answers itself. */
export type NodeServedCall = CallsWhere<{ servedBy: 'node' }>
/** Calls the host answers (it owns the network and the wallet sessions). */
export type HostServedCall = CallsWhere<{ servedBy: 'host' }>
/** Calls forwarded as they are, plain data both ways. */
export type PlainCall = NodeServedCall | HostServedCall
/** The plain calls that are methods of the page's `Kiln`. */
export type PageCall = Exclude<PlainCall, CallsWhere<{ internal: true }>>

const names = Object.keys(CALLS) as CallName[]
export const NODE_CALLS = names.filter((m): m is NodeServedCall => CALLS[m].servedBy === 'node')
export const HOST_CALLS = names.filter((m): m is HostServedCall => CALLS[m].servedBy === 'host')
export const PLAIN_CALLS: readonly PlainCall[] = [...NODE_CALLS, ...HOST_CALLS]
export const PAGE_CALLS = PLAIN_CALLS.filter((m): m is PageCall => !('internal' in CALLS[m]))

export const isCallName = (name: string): name is CallName => Object.hasOwn(CALLS, name)
export const isPlainCall = (name: string): name is PlainCall => isCallName(name) && CALLS[name].servedBy !== 'connection'

/**
 * An object with one method per name, each handing its name and arguments to `call`: how every
 * transport makes its forwarders from the table.
 */
export function forwardCalls<M extends PlainCall> (methods: readonly M[], call: (method: M, args: unknown[]) => Promise<unknown>): Pick<NodeCalls, M> {
  const forwarders = Object.fromEntries(methods.map((m) => [m, async (...args: unknown[]) => await call(m, args)]))
  // The table and NodeCalls name the same methods; each forwarder returns what `call` gets back.
  return forwarders as unknown as Pick<NodeCalls, M>
}
