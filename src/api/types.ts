/**
 * Every type a page sees: the arguments and results of the node's calls. All plain data (strings
 * for ids and CIDs), so each survives structured clone across a worker boundary and JSON on a CLI.
 * The node, the stores and the hosts use these same types; nothing here imports a value.
 */
import type { Operation } from 'fast-json-patch'
import type { DataHeader } from '../commits/data.js'
import type { KilnErrorLike } from '../errors.js'

export interface CreateOptions {
  type?: 'tile' | 'model' | 'MID' | number
  content?: unknown
  /** Tile: no random `unique`, so the StreamID follows from controller + family/tags. */
  deterministic?: boolean
  family?: string
  tags?: string[]
  /** Tile: CommitID of a schema stream the content must satisfy. */
  schema?: string
  /** MID: the Model stream this document is an instance of. */
  model?: string
  /** MID with a set relation: the values of the model's set fields. */
  unique?: string[]
  forbidControllerChange?: boolean
  /**
   * Tile: encrypt the content end to end for these accounts (DIDs) and every device they have
   * published a key for; the author's own account is always a reader. Peers and servers store
   * and sync only the ciphertext (README, "Private documents").
   */
  private?: { readers: string[] }
}

/** What a fork changes of its source's content: the whole new content, or a JSON-Patch; neither keeps it. */
export interface ForkChanges {
  content?: unknown
  patch?: Operation[]
}

/** Who a private document is shared with, changed by `share`: a removal rotates its content key. */
export interface ShareChange {
  /** Accounts (DIDs) to add as readers. */
  add?: string[]
  /** Accounts to remove: later versions are encrypted under a new key they never get. */
  remove?: string[]
}

/**
 * A private document as this node sees it: readable (the content shown is the decrypted one)
 * or not (this node holds no key for it: `content` is null).
 */
export type PrivateState = { readable: true, readers: string[] } | { readable: false }

/** One write of `writeMany`: a new stream, or a change to one (by StreamID). */
export type BatchWrite = { create: CreateOptions } | { id: string, update: UpdateOptions }

export interface UpdateOptions {
  /** The whole new content (a JSON-Patch is computed from the current one)… */
  content?: unknown
  /** …or a JSON-Patch to apply. */
  patch?: Operation[]
  /** Tile header changes (controllers, family, schema, tags); MID: only shouldIndex. */
  header?: DataHeader
  /** The tip the caller last saw; the write is refused (ERR_STALE_TIP) if the stream moved on. */
  expectedTip?: string
}

/** A stream as the API returns it. */
export interface StreamSnapshot {
  id: string
  type: number
  typeName: string
  /** CommitID of the state shown: load it later to see exactly this version. */
  commitId: string
  tip: string
  content: unknown
  metadata: SnapshotMetadata
  log: SnapshotLogEntry[]
  signature: number
  anchorStatus: number
  /** Every branch tip known for the stream; more than one means concurrent writes were kept. */
  tips: string[]
  /** True for a state loaded at a CommitID: history is read-only. */
  readOnly: boolean
  /**
   * A Model document's views, by the names its Model gives them (ComposeDB's: documentAccount,
   * documentVersion, relationDocument, relationFrom (StreamIDs, first 100), relationCountFrom);
   * answered by `load` and `query` from the indexes.
   */
  views?: Record<string, unknown>
  /** Open conflicts between this stream's branches (present only when there are some). */
  conflicts?: Conflict[]
  /** Present for a private document: whether this node can read it, and who can. */
  private?: PrivateState
}

/**
 * Two branches of a stream changed one path to different values: the content shows one (the
 * conflict rule's pick), the other is kept in history. Every node holding both branches reports
 * it until a resolution commit (`resolveConflict`, from any device) closes it.
 */
export interface Conflict {
  stream: string
  /** JSON Pointer (`/title`; `` for the whole content). */
  path: string
  /** The value before either branch changed it (undefined: absent). */
  base: unknown
  /** What the content shows now, and the tip of that branch. */
  shown: ConflictSide
  /** The other branch's value and tip. */
  other: ConflictSide
}

export interface ConflictSide {
  value: unknown
  commit: string
  /** The account that signed the branch's tip (a wallet session's account, or a did:key). */
  author?: string
}

/** How a conflict is settled: the value to keep at its path (either side's, or a new one); no `value` removes it. */
export interface ConflictResolution {
  path: string
  value?: unknown
}

/** What an imported CAR held: the stream's state after it, and the branch tips and commits it took. */
export interface ImportedCar extends StreamSnapshot {
  imported: { tips: string[], commits: number }
}

export interface SnapshotMetadata {
  controllers: string[]
  family?: string
  schema?: string
  tags?: string[]
  model?: string
  context?: string
  /** Tile: the genesis' random string; Model/MID: base64 of its bytes. */
  unique?: string
  shouldIndex?: boolean
  forbidControllerChange?: boolean
  /** A fork's source: the CommitID of the version it was forked from (set at genesis, never changed). */
  forkOf?: string
}

export interface SnapshotLogEntry {
  cid: string
  commitId: string
  type: number
  timestamp?: number
  expirationTime?: number
}

export interface HistoryEntry {
  cid: string
  commitId: string
  type: number
  timestamp?: number
  /** When this node accepted the commit (ms). */
  receivedAt?: number
}

/** Streams matching every given field. */
export interface StreamQuery {
  /** Forks of this stream (a StreamID): streams whose genesis names a version of it as their source. */
  forkOf?: string
  controller?: string
  model?: string
  family?: string
  schema?: string
  /**
   * Conditions on a Model's content fields (needs `model`), by dotted path: `{ 'author': id }`
   * or `{ 'score': { greaterThan: 3 } }`. Each path must be in one of the Model's indexes
   * (`indexModel`, and every relation field); one index serves the query, never a scan.
   */
  where?: Record<string, FieldCondition>
  /** Order by content fields (needs `model` and an index that has them after the `where` fields). */
  sort?: Record<string, 'asc' | 'desc'>
}

/** A value an index can hold: a scalar of the content (arrays index each element). */
export type IndexValue = string | number | boolean | null

/** A bare value means `equalTo`. The names are ComposeDB's. */
export type FieldCondition = IndexValue | FieldFilter

export interface FieldFilter {
  equalTo?: IndexValue
  notEqualTo?: IndexValue
  in?: IndexValue[]
  notIn?: IndexValue[]
  lessThan?: number | string
  lessThanOrEqualTo?: number | string
  greaterThan?: number | string
  greaterThanOrEqualTo?: number | string
  /** true: the field is absent or null; false: it has a value. */
  isNull?: boolean
}

/** A field index of a Model: the paths it orders documents by, in order (a compound index). */
export interface IndexDefinition {
  model: string
  fields: string[]
}

export interface IndexStatus extends IndexDefinition {
  /** 'building' while documents held before it was declared are being indexed. */
  state: 'building' | 'ready'
  /** True for the indexes every relation field gets without being declared. */
  relation?: boolean
  /** While building: documents indexed so far, of `total`. */
  built?: number
  total?: number
}

export interface PageRequest {
  limit?: number
  /** Opaque: the `cursor` of the previous page. */
  cursor?: string
}

export interface Page<T> {
  items: T[]
  /** Present when more items may follow. */
  cursor?: string
}

/** Someone else looking at a stream now (`kiln.presence`): ephemeral, signed by their device key. */
export interface PresencePeer {
  /** The device key (did:key) that signed it. */
  did: string
  /** The sender's libp2p peer id (one per browser). */
  peer: string
  /** What the sender set with `setPresence`: any JSON value of at most 1 KiB. */
  state: unknown
  /** When it was sent (ms since the epoch, by the sender's clock); it expires 30 s later unless sent again. */
  at: number
}

/** Documents a node follows beyond its own accounts' streams: a Model's, optionally one account's. */
/**
 * EVM chains whose anchor proofs the node checks, by CAIP-2 id (`eip155:1`): a JSON-RPC URL, or
 * the URL with the anchor contract (Ceramic's by default) and the confirmations to wait (12).
 * A time event on any other chain is refused (ERR_INVALID_ANCHOR).
 */
export type AnchorChains = Record<string, string | { rpcUrl: string, contract?: string, confirmations?: number }>

export interface Follow {
  /** The Model's StreamID. */
  model: string
  /** Only this account's documents (a DID). */
  controller?: string
}

export interface FollowStatus extends Follow {
  /** Documents of it this node holds now. */
  held: number
  /** How far catching up with peers is; absent while this node has no network. */
  catchUp?: FollowCatchUp
}

export interface FollowCatchUp {
  /** A catch-up round runs now (with some peer). */
  syncing: boolean
  /** Commits of it that peers listed and this node has not fetched yet (0 once caught up). */
  pending: number
  /** Commits of it fetched from peers since the network started. */
  fetched: number
  /** When the last catch-up round ended (ms since the epoch). */
  lastSyncAt?: number
}

/**
 * A stored file: its UnixFS root CID (CIDv1) and length in bytes. A document refers to it as the
 * string `ipfs://<cid>` in its content (see README, "Files").
 */
export interface FileInfo {
  cid: string
  size: number
}

/** How far a file's add or read has come; `total` is the file's length when known. */
export interface FileProgress {
  bytes: number
  total?: number
}

/**
 * What a garbage collection of files did: blocks removed (no kept document refers to a file they
 * belong to, and they are older than the grace period), blocks kept, and the bytes freed.
 */
export interface GarbageCollected {
  removed: number
  kept: number
  bytesFreed: number
}

export interface GarbageCollectionOptions {
  /** Blocks written less than this long ago (ms) are kept whatever refers to them; default one hour. */
  graceMs?: number
}

export interface NodeStats {
  streams: number
  commits: number
  blocks: number
  subscriptions: number
}

/** A wallet session as the API shows it: never the key. */
export interface SessionInfo {
  /** The account streams are controlled by, `did:pkh:eip155:<chain>:<address>`. */
  account: string
  /** The session key's did:key, which signs every commit. */
  sessionDid: string
  resources: string[]
  expiresAt?: string
  /** The session new streams are created with (the most recent sign-in). */
  active: boolean
}

/** Where the node runs, as `status()` reports it. */
export type NodeMode = 'shared-worker' | 'dedicated-worker'

export interface NodeStatus {
  did?: string
  mode: NodeMode
  storage: 'indexeddb'
  streams: number
  commits: number
  subscriptions: number
  /** Tabs (or other clients) connected to this node now. */
  clients: number
  /** Set when the store was closed underneath the node (e.g. a newer Kiln upgraded it in another tab). */
  closed?: KilnErrorLike
  /** The wallet session new streams are written with, if someone signed in. */
  session?: SessionInfo
  /** Peers and sync progress, once the node was given peers to connect to. */
  network?: NetworkStatus
}

export interface NetworkStatus {
  peerId: string
  /** Peers syncing with this node; `direct` ones over WebRTC (another browser), the others through WebSockets or a relay. */
  peers: Array<{ id: string, addrs: string[], direct: boolean }>
  /** Commit runs received from peers and stored. */
  synced: number
  failed: number
  /** Tips refused as forged or invalid (their senders were penalized). */
  invalid: number
  /**
   * Documents with a change from this device that no peer has confirmed holding yet: what this
   * device's storage alone keeps (a browser may delete it, e.g. on a full disk). 0 once every
   * write is on a peer; writes of earlier sessions count from the first peer connection.
   */
  unconfirmed: number
  /** Penalties given to peers (invalid data, malformed messages, floods). */
  penalties: number
  /** Peers banned for misbehaviour (disconnected, redials refused for a while). */
  banned: number
  lastSyncAt?: number
  /** A catch-up with a peer is running: data may still be arriving. */
  syncing: boolean
}
