import type { CID } from 'multiformats/cid'
import type { Operation } from 'fast-json-patch'
import { CommitID, StreamID, StreamType, parseStreamRef, streamTypeCode } from '../ids/index.js'
import type { Block, BlockSource } from '../commits/block.js'
import { buildGenesis, buildSignedCommit } from '../commits/build.js'
import type { AccountRelation } from '../commits/genesis.js'
import { decodeCar } from '../commits/car.js'
import { type DataHeader, applyPatch, dataCommit, diffContent } from '../commits/data.js'
import { type LoadedCommits, type RawCommit, loadCommit } from '../commits/decode.js'
import type { Signer } from '../identity/signer.js'
import { type Identity, sameController, singleSignerIdentity } from '../identity/identity.js'
import type { AnchorValidator } from '../identity/verify.js'
import type { BatchWrite, Conflict, ConflictResolution, CreateOptions, ForkChanges, HistoryEntry, ImportedCar, IndexStatus, NodeStats, Page, PageRequest, ShareChange, StreamQuery, StreamSnapshot, UpdateOptions } from '../api/types.js'
import type { EncryptionKey } from '../identity/encryption-key.js'
import { isPrivateContent } from '../private/envelope.js'
import { deviceKeysOf, keyDirectoryCreate, keyDirectoryId, withDeviceKey } from '../private/key-directory.js'
import {
  CapabilityExpiredError, CapabilityScopeError, ForbiddenChangeError, InvalidInputError, MalformedCommitError, NoSignerError, NotAReaderError,
  OversizeError, SchemaViolationError, StaleTipError, StreamNotFoundError, hasCode
} from '../errors.js'
import { type Logger, silentLogger } from '../logger.js'
import type { CommitBatch, EventKeyRecord, QueriedRecord, Store, StreamRecord } from '../store/store.js'
import { matches } from '../store/store.js'
import { matchesWhere, usesFields } from '../store/field-index.js'
import { pickCanonicalAmong } from '../streams/conflict.js'
import { mergeContent, sameJson } from '../streams/merge.js'
import { type LoadContext, applyCommits, readLog } from '../streams/load.js'
import { EventType, type StreamState, controllerOf, tipOf } from '../streams/state.js'
import { decodeState, encodeState } from '../streams/state-codec.js'
import { asCarError, exportStreamCar } from '../streams/transfer.js'
import { readCarContents } from '../streams/car-contents.js'
import { dependenciesOf, resolveDependencies } from './dependencies.js'
import { toSnapshot } from './snapshot.js'
import { genesisMayExist, genesisPlan } from './create-plan.js'
import { forkPlan } from './fork-plan.js'
import { commitRecord, initControllerOf, parseCidOrThrow, recordFor, type RecordFields } from './records.js'
import { createStateCache } from './state-cache.js'
import { createFieldIndexes } from './field-indexes.js'
import { createViews } from './views.js'
import { openConflicts, resolutionPatch } from './conflicts.js'
import { createWriteQueue } from './write-queue.js'
import { createPrivateDocs } from './private-docs.js'

export interface StreamNodeComponents {
  store: Store
  /** Signs local writes; without one the node is read-only (it still verifies and stores). */
  signer?: Signer
  /** Several signers (a device key and wallet sessions); takes the place of `signer`. */
  identity?: Identity
  anchorValidator?: AnchorValidator
  /** This device's X25519 key: it opens the private documents shared with it, and signs nothing. */
  encryptionKey?: EncryptionKey
  /**
   * Fetches a stream this node does not hold from its peers (true once stored): how a private
   * write finds its readers' key directories. The hosts pass their network's; without it only held
   * directories are read.
   */
  fetchStream?: (id: string) => Promise<boolean>
  /** Silent unless given (the hosts pass `createLogger('kiln:node')`). */
  log?: Logger
}

export type { CreateOptions, HistoryEntry, ImportedCar, NodeStats, UpdateOptions }

export type StreamListener = (snapshot: StreamSnapshot) => void

export interface CommitEvent {
  id: string
  /** The new tip the accepted commits end at. */
  tip: string
  model?: string
  controller: string
  /** The genesis's controller where it differs from `controller` (StreamRecord.initController). */
  initController?: string
  /** True when this node wrote it; false for commits from elsewhere (a peer, a CAR). */
  local: boolean
  /** The commits this run added, oldest first, ending at `tip`. */
  commits: readonly string[]
  /** The blocks this run stored (its commits', and a capability's if new), for announcing small runs whole. */
  blocks: readonly Block[]
}

/** A stream's tips and indexed fields, read from its record without decoding any state. */
export interface StreamHeads {
  id: string
  tips: string[]
  model?: string
  controller: string
  /** As CommitEvent's. */
  initController?: string
  family?: string
  schema?: string
}

/**
 * When a peer this node trusts as a time witness accepted each commit (ms). A commit is then judged
 * at that time instead of now (a wallet session that has expired since), and keeps that time here.
 */
export interface IngestWitness {
  witnessedAt?: (cid: string) => number | undefined
  /** Commits the caller has read already (a catch-up, to find what to fetch): not decoded again. */
  loaded?: LoadedCommits
}

export interface StreamNode {
  /** The DID that controls what this node writes (undefined when read-only). */
  readonly controller: string | undefined
  create: (options: CreateOptions) => Promise<StreamSnapshot>
  update: (id: string, change: UpdateOptions) => Promise<StreamSnapshot>
  /**
   * A private document's readers: adds and removes accounts (a removal gives later versions a new
   * content key); with neither, wraps the key for devices its readers published since.
   */
  share: (id: string, change: ShareChange) => Promise<StreamSnapshot>
  /** Adds this device's encryption key to the author's key directory (once) and returns the directory. */
  publishEncryptionKey: () => Promise<StreamSnapshot>
  /** Whether this node holds `account`'s key directory (the account shares private documents). */
  hasKeyDirectory: (account: string) => Promise<boolean>
  /** Creates and updates many streams in one store transaction, all or nothing. */
  writeMany: (writes: BatchWrite[]) => Promise<StreamSnapshot[]>
  /** A new stream of this node's author from a version of a held stream, its CommitID as provenance (fork-plan.ts). */
  fork: (ref: string, changes?: ForkChanges) => Promise<StreamSnapshot>
  /** A StreamID gives the canonical state; a CommitID the state at that commit (read-only). */
  load: (ref: string) => Promise<StreamSnapshot>
  history: (id: string) => Promise<HistoryEntry[]>
  /** Open conflicts between the stream's branches, as every node holding both derives them (node/conflicts.ts). */
  conflicts: (id: string) => Promise<Conflict[]>
  /** Sets a conflict's path to the chosen value in one commit that also marks it resolved. */
  resolveConflict: (id: string, resolution: ConflictResolution) => Promise<StreamSnapshot>
  /** Whether the node holds the stream of a StreamID or CommitID: a record lookup, no state is read. */
  has: (ref: string) => Promise<boolean>
  /** One held stream's heads (undefined if not held): what sync compares and answers with. */
  find: (id: string) => Promise<StreamHeads | undefined>
  /** Whether the node holds the stream and it is pinned (kept whatever else it forgets). */
  isPinned: (id: string) => Promise<boolean>
  /** Calls `listener` with the new state whenever a matching stream changes. */
  subscribe: (target: string | StreamQuery, listener: StreamListener) => () => void
  /** Calls `listener` for every accepted commit run (every new tip, canonical or not): what sync announces. */
  onCommit: (listener: (event: CommitEvent) => void) => () => void
  /** Streams matching a query with all their tips, without decoding states: what sync compares. */
  heads: (query: StreamQuery, page?: PageRequest) => Promise<Page<StreamHeads>>
  /** A stored block (every stored block was verified as part of a commit). */
  block: (cid: string) => Promise<Uint8Array | undefined>
  /** Every commit stored for a stream, on every branch (no order), with its `prev` and when this node accepted it: what sync indexes and attests. */
  commits: (id: string) => Promise<Array<{ cid: string, prev?: string, receivedAt: number }>>
  /** Every stored commit of every stream as (stream, commit; `local` if this node wrote it), page by page in one scan (see Store.listCommits). */
  allCommits: (page?: PageRequest) => Promise<Page<{ stream: string, cid: string, local?: true }>>
  /** Every stored commit's EventId without its network header, in key order (Store.listEventKeys); absent when the store does not keep them. */
  allEventKeys?: (page?: PageRequest) => Promise<Page<EventKeyRecord>>
  /**
   * What each stored commit of a stream wrote, on every branch (no order): a genesis's content and
   * a data commit's JSON-Patch operations. Every value any version held was written by one of
   * them: how file garbage collection finds the files a stream names in any version.
   */
  commitData: (id: string) => Promise<unknown[]>
  /** With `where`/`sort` (and `model`): from the Model's field indexes, once they are built. */
  query: (query: StreamQuery, page?: PageRequest) => Promise<Page<StreamSnapshot>>
  count: (query: StreamQuery) => Promise<number>
  /** Declares field indexes of a Model (lists of dotted content paths); relation fields are indexed by themselves. */
  indexModel: (model: string, indexes: string[][]) => Promise<IndexStatus[]>
  indexes: (model?: string) => Promise<IndexStatus[]>
  exportCar: (id: string) => Promise<Uint8Array>
  /**
   * Imports every commit a CAR holds, whatever its root, on every branch (each verified before it
   * is stored); a CAR that mixes streams or lacks blocks changes nothing. Returns the canonical
   * state and what the CAR held.
   */
  importCar: (bytes: Uint8Array) => Promise<ImportedCar>
  /** Accepts commits from elsewhere (a peer): verifies from `tip` back to what is known, then stores. */
  ingest: (streamId: string, tip: string, source: BlockSource, options?: IngestWitness) => Promise<StreamSnapshot>
  pin: (id: string) => Promise<void>
  unpin: (id: string) => Promise<void>
  /**
   * Drops a stream this node holds but no longer needs (an unfollowed Model's document); false,
   * keeping it, when it is pinned or not held. Sync may bring it again if it is wanted again.
   */
  forget: (id: string) => Promise<boolean>
  /** Calls `listener` with the id of every stream `forget` dropped. */
  onForget: (listener: (id: string) => void) => () => void
  stats: () => Promise<NodeStats>
  close: () => Promise<void>
}

/** Writes one `writeMany` call takes at most (one store transaction holds them all). */
const MAX_BATCH_WRITES = 1000

/** Why a lost write may not apply again on the winning branch: its patch, its content, or its signer. */
const REBASE_STOPPERS = [MalformedCommitError, SchemaViolationError, ForbiddenChangeError, OversizeError, InvalidInputError, NoSignerError, CapabilityExpiredError, CapabilityScopeError]

/** Builds a node over its ports. The node is the only place where store, identity and streams meet. */
export function createStreamNode (components: StreamNodeComponents): StreamNode {
  const { store, anchorValidator, log = silentLogger } = components
  const identity = components.identity ?? singleSignerIdentity(components.signer)
  const queue = createWriteQueue()
  const cache = createStateCache()
  const listeners = new Set<{ target: string | StreamQuery, listener: StreamListener }>()
  const commitListeners = new Set<(event: CommitEvent) => void>()
  const forgetListeners = new Set<(id: string) => void>()
  const storeSource: BlockSource = async (cid) => await store.getBlock(cid.toString())
  // Queries list streams in creation order; two streams created in one millisecond must still
  // get distinct, increasing times, or their order would fall back to their random ids.
  let lastCreationTime = 0
  const nextCreationTime = (): number => (lastCreationTime = Math.max(Date.now(), lastCreationTime + 1))

  const requireAuthor = (): Signer => {
    const author = identity.author()
    if (author == null) throw new NoSignerError('This node has no identity to sign with: sign in or configure a did:key')
    return author
  }

  const requireSignerFor = (controller: string): Signer => {
    const signer = identity.signerFor(controller)
    if (signer == null) throw new NoSignerError(`This node cannot sign for ${controller}: sign in with that account`, { controller })
    return signer
  }

  async function findRecord (id: string): Promise<StreamRecord | undefined> {
    const cached = cache.record(id)
    if (cached != null) return cached
    const record = await store.getStream(id)
    if (record != null) cache.remember(record)
    return record
  }

  async function readRecord (id: string): Promise<StreamRecord> {
    const record = await findRecord(id)
    if (record == null) throw new StreamNotFoundError(`Stream ${id} is not known to this node`, { id })
    return record
  }

  async function stateAt (record: StreamRecord, tip = record.tip): Promise<StreamState> {
    const cached = cache.state(record.id, tip)
    if (cached != null) return cached
    const bytes = await store.getState(record.id, tip)
    if (bytes != null) return storedState(record.id, tip, bytes)
    // Not a tip: replay the log from blocks (every commit verified again, at its recorded time).
    const streamId = StreamID.fromString(record.id)
    const replayed = await readLog(parseCidOrThrow(tip), storeSource)
    return (await applyCommits(undefined, streamId, replayed, await contextFor(record.id, replayed, undefined, true))).state
  }

  /**
   * The tip states of a page of query results: cached, read along with the records (IndexedDB), or
   * else read from the store at once.
   */
  async function tipStatesOf (records: QueriedRecord[]): Promise<StreamState[]> {
    const states = records.map((record) => cache.state(record.id, record.tip) ?? (record.tipState == null ? undefined : storedState(record.id, record.tip, record.tipState)))
    const missing = records.filter((_, i) => states[i] == null)
    const stored = missing.length === 0 ? [] : await store.getStates(missing.map(({ id, tip }) => ({ id, tip })))
    let next = 0
    return await Promise.all(records.map(async (record, i) => {
      if (states[i] != null) return states[i]
      const bytes = stored[next++]
      return bytes == null ? await stateAt(record) : storedState(record.id, record.tip, bytes)
    }))
  }

  /** A tip's state as the store kept it, cached while that stream's record is. */
  function storedState (id: string, tip: string, bytes: Uint8Array): StreamState {
    const state = decodeState(bytes)
    const record = cache.record(id)
    if (record?.tips.includes(tip) === true) cache.remember(record, tip, state)
    return state
  }

  async function loadState (ref: StreamID | CommitID): Promise<StreamState> {
    const record = await readRecord(ref.baseID.toString())
    return await stateAt(record, CommitID.isCommitID(ref) ? ref.commit.toString() : record.tip)
  }

  /**
   * Dependencies for the reducers and, for replays of stored commits, the times they were first
   * accepted (new commits are judged now, so a fresh write skips reading the commit records).
   */
  async function contextFor (id: string, commits: RawCommit[], base?: StreamState, replay = false): Promise<LoadContext> {
    const deps = await resolveDependencies(dependenciesOf(commits, base), loadState)
    if (!replay) return { ...deps, anchorValidator }
    const receivedAt = new Map((await store.getCommits(id)).map((c) => [c.cid, c.receivedAt]))
    return {
      ...deps,
      anchorValidator,
      atTimeOf: (cid) => { const at = receivedAt.get(cid.toString()); return at == null ? undefined : new Date(at) }
    }
  }

  const fieldIndexes = createFieldIndexes({
    store,
    log,
    stateOf: async (record) => await stateAt(record),
    relationFields: async (model) => {
      const definition = (await loadState(StreamID.fromString(model))).content as { relations?: Record<string, unknown> } | null
      return Object.keys(definition?.relations ?? {})
    }
  })

  /** What a stream's record holds: its tips and, for a Model document, its indexed field values. */
  async function recordOf (state: StreamState, known: Omit<RecordFields, 'fields'>): Promise<StreamRecord> {
    const record = recordFor(state, known)
    if (record.model == null) return record
    const fields = await fieldIndexes.fieldsOf(record.model, state)
    if (Object.keys(fields).length > 0) record.fields = fields
    return record
  }

  const privateDocs = createPrivateDocs({
    key: components.encryptionKey,
    deviceKeysOf: async (account) => {
      const id = await keyDirectoryId(account)
      if (await findRecord(id) == null && components.fetchStream != null) {
        // Not found on peers (or none answered): the account has published no key this node can see.
        await components.fetchStream(id).catch((err: unknown) => { log('fetching the key directory of %s failed: %s', account, (err as Error).message) })
      }
      const record = await findRecord(id)
      if (record == null) return []
      const state = await stateAt(record)
      // A directory whose controller was changed away from the account speaks for no one.
      return sameController(controllerOf(state), account) ? deviceKeysOf(state.content) : []
    }
  })

  const withViews = createViews({
    viewsOf: async (model) => ((await loadState(StreamID.fromString(model))).content as { views?: Record<string, unknown> } | null)?.views,
    query: async (query, limit) => (await node.query(query, { limit })).items.map((s) => s.id),
    count: async (query) => await node.count(query)
  })

  // Derived conflicts by stream and branch tips: recomputed only when the tips change.
  const conflictCache = new Map<string, Promise<Conflict[]>>()
  const MAX_CACHED_CONFLICTS = 256
  async function conflictsOf (record: StreamRecord): Promise<Conflict[]> {
    if (record.tips.length < 2) return []
    const key = `${record.id} ${record.tip} ${record.tips.join(',')}`
    let found = conflictCache.get(key)
    if (found == null) {
      found = openConflicts(record, { stateAt, loadCommit: async (cid) => await loadCommit(cid, storeSource) })
      found.catch(() => { conflictCache.delete(key) })
      if (conflictCache.size >= MAX_CACHED_CONFLICTS) conflictCache.delete(conflictCache.keys().next().value as string)
      conflictCache.set(key, found)
    }
    return await found
  }

  /** What a page sees of a stream: its snapshot, with its Model's views and its open conflicts. */
  async function present (state: StreamState, record: StreamRecord, readOnly = false): Promise<StreamSnapshot> {
    // An old version of a private document may open with the key of the current one (a device added since).
    const latest = readOnly ? async () => (await stateAt(record)).content : undefined
    const snapshot = await privateDocs.reveal(await withViews(toSnapshot(state, record, readOnly)), latest)
    // Conflicts are derived from content, which is ciphertext for a private document (not yet done on plaintext).
    if (readOnly || snapshot.private != null) return snapshot
    const conflicts = await conflictsOf(record)
    return conflicts.length === 0 ? snapshot : { ...snapshot, conflicts }
  }

  /**
   * A field query on a Model this node does not hold yet (followed, not synced) has no documents;
   * its relation indexes are unknown until the Model arrives, so it is answered empty, not refused.
   */
  async function modelNotHeld (query: StreamQuery): Promise<boolean> {
    return usesFields(query) && query.model != null && await findRecord(StreamID.fromString(query.model).toString()) == null
  }

  /**
   * The blocks only this commit uses: its envelope and signed payload (both name the stream). Its
   * capability and an anchor's proof and path may be shared with other streams, so they stay.
   */
  async function ownBlocksOf (cid: string): Promise<string[]> {
    const commit = await loadCommit(parseCidOrThrow(cid), storeSource).catch(() => undefined)
    if (commit == null) return [cid]
    if (commit.kind === 'time' || commit.signature == null) return [cid]
    return commit.blocks.slice(0, 2).map((b) => b.cid.toString())
  }

  async function setPinned (id: string, pinned: boolean): Promise<void> {
    const record = await readRecord(StreamID.fromString(id).toString())
    await store.setPinned(record.id, pinned)
    cache.remember({ ...record, pinned })
  }

  function notify (snapshot: StreamSnapshot, record: StreamRecord): void {
    for (const { target, listener } of listeners) {
      const wanted = typeof target === 'string' ? target === snapshot.id : matches(record, target) && matchesWhere(record.fields, target.where)
      if (!wanted) continue
      try {
        listener(snapshot)
      } catch (err) {
        // A subscriber's bug must not break the write that triggered it; report it loudly.
        queueMicrotask(() => { throw err })
      }
    }
  }

  /**
   * Verifies `fresh` (oldest first) on top of the state at `attach` and writes it as one batch.
   * Every branch tip is kept; the conflict rule picks which one is canonical.
   */
  async function accept (streamId: StreamID, record: StreamRecord | undefined, fresh: RawCommit[], local: boolean, base?: StreamState, witnessedAt?: (cid: string) => number | undefined): Promise<StreamSnapshot> {
    const verified = await verifyRun(streamId, record, fresh, local, base, witnessedAt)
    await stored(store.putCommit(verified.batch), [verified])
    return await announce(verified)
  }

  /** A run of commits verified on top of `base`, and the store batch that keeps it. */
  interface VerifiedRun {
    batch: CommitBatch
    /** The record before the run (undefined for a new stream). */
    record: StreamRecord | undefined
    state: StreamState
    local: boolean
  }

  async function verifyRun (streamId: StreamID, record: StreamRecord | undefined, fresh: RawCommit[], local: boolean, base?: StreamState, witnessedAt?: (cid: string) => number | undefined): Promise<VerifiedRun> {
    const now = Date.now()
    // A witnessed time is never later than now: a witness can only move judgement into the past.
    const acceptedAt = (cid: string): number => Math.min(witnessedAt?.(cid) ?? now, now)
    const context = await contextFor(streamId.toString(), fresh, base)
    if (witnessedAt != null) context.atTimeOf = (cid) => new Date(acceptedAt(cid.toString()))
    const { state, commits } = await applyCommits(base, streamId, fresh, context)
    // A private document this node reads must open: tampered ciphertext from a peer is refused here.
    if (!local) await privateDocs.check(streamId.toString(), state.content)
    const tip = tipOf(state).toString()
    const attach = base == null ? undefined : tipOf(base).toString()
    const tips = [...(record?.tips ?? []).filter((t) => t !== attach), tip]
    const logs = await Promise.all(tips.map(async (t) => t === tip ? state.log : (await stateAt(record as StreamRecord, t)).log))
    const canonicalLog = pickCanonicalAmong(logs)
    const canonicalTip = canonicalLog[canonicalLog.length - 1].cid.toString()
    const next = await recordOf(canonicalTip === tip ? state : await stateAt(record as StreamRecord, canonicalTip), {
      tips, tip: canonicalTip, createdAt: record?.createdAt ?? nextCreationTime(), updatedAt: now, pinned: record?.pinned ?? false,
      initController: initControllerOf(record, fresh[0])
    })
    const records = commits.map((c) => commitRecord(streamId.toString(), c, acceptedAt(c.cid.toString()), local))
    const blocks = new Map<string, Block>()
    for (const block of commits.flatMap((c) => c.blocks)) blocks.set(block.cid.toString(), block)
    const batch: CommitBatch = {
      stream: next,
      expectedTip: record?.tip ?? null,
      commit: records[records.length - 1],
      earlierCommits: records.slice(0, -1),
      blocks: [...blocks.values()],
      state: encodeState(state),
      replacedTip: attach != null && record?.tips.includes(attach) === true ? attach : undefined
    }
    return { batch, record, state, local }
  }

  /** Awaits a store write; whatever happened to a failed one, the cache must not claim to know its streams. */
  async function stored (write: Promise<void>, runs: VerifiedRun[]): Promise<void> {
    await write.catch((err: unknown) => { for (const run of runs) cache.forget(run.batch.stream.id); throw err })
  }

  /** After a run is stored: the cache, subscribers and commit listeners hear of it. */
  async function announce ({ batch, record, state, local }: VerifiedRun): Promise<StreamSnapshot> {
    const next = batch.stream
    const tip = batch.commit.cid
    cache.remember(next, tip, state)
    const canonical = next.tip === tip ? state : await stateAt(next, next.tip)
    const snapshot = await present(canonical, next)
    if (next.tip !== record?.tip || await conflictsChanged(record, next, snapshot)) notify(snapshot, next)
    const commits = [...(batch.earlierCommits ?? []), batch.commit].map((c) => c.cid)
    const event: CommitEvent = { id: next.id, tip, controller: next.controller, local, commits, blocks: batch.blocks }
    if (next.model != null) event.model = next.model
    if (next.initController != null) event.initController = next.initController
    for (const listener of commitListeners) {
      try { listener(event) } catch (err) { queueMicrotask(() => { throw err }) }
    }
    return snapshot
  }

  /**
   * A branch that leaves the canonical tip as it was can still bring a conflict (the other
   * device's edits all clashed, so it wrote no merge): subscribers hear of that too.
   */
  async function conflictsChanged (before: StreamRecord | undefined, next: StreamRecord, snapshot: StreamSnapshot): Promise<boolean> {
    if (before == null || before.tips.join() === next.tips.join()) return false
    return !sameJson(snapshot.conflicts ?? [], await conflictsOf(before))
  }

  /** One stream's part of a `writeMany`: its writes in order, a genesis already built for a create. */
  interface PlannedWrite {
    streamId: StreamID
    genesis?: { cid: CID, blocks: Block[], streamId: StreamID }
    /** False for a genesis with random bytes: no stream can have it yet, so nothing is read first. */
    mayExist?: boolean
    /** The genesis' content, and a single/set document's content for its first data commit. */
    genesisContent?: unknown
    firstContent?: unknown
    update?: UpdateOptions
  }

  /** Builds and verifies one stream's commits for a `writeMany`, each on the one before. */
  async function planRun (writes: PlannedWrite[]): Promise<VerifiedRun | undefined> {
    const { streamId, mayExist } = writes[0]
    const record = mayExist === false ? undefined : await findRecord(streamId.toString())
    const base = record == null ? undefined : await stateAt(record)
    const built: Array<{ cid: CID, blocks: Block[] }> = []
    let prev = base == null ? undefined : tipOf(base)
    let content = base?.content
    let controller = base == null ? undefined : controllerOf(base)
    const commitOn = async (patch: Operation[], header?: DataHeader): Promise<void> => {
      if (prev == null || controller == null) throw new StreamNotFoundError(`Stream ${streamId.toString()} is not known to this node`, { id: streamId.toString() })
      const commit = await patchCommit(streamId, prev, patch, requireSignerFor(controller), header)
      built.push(commit)
      prev = commit.cid
    }
    for (const write of writes) {
      if (write.genesis != null && prev == null) {
        built.push(write.genesis)
        prev = write.genesis.cid
        content = write.genesisContent ?? null
        controller = requireAuthor().controller
        if (write.firstContent !== undefined) await commitOn(diffContent(null, write.firstContent))
        content = write.firstContent ?? content
      } else if (write.genesis != null) {
        // A deterministic stream that exists already: its content is replaced, as `create` does.
        if (write.firstContent !== undefined) await commitOn(diffContent(content, write.firstContent))
        content = write.firstContent ?? content
      } else {
        const change = write.update as UpdateOptions
        // Its content would be diffed against the ciphertext and stored in the clear.
        if (isPrivateContent(content)) throw new InvalidInputError(`writeMany does not update private documents yet (${streamId.toString()}): use update`)
        if (change.expectedTip != null && change.expectedTip !== (prev?.toString() ?? null)) {
          throw new StaleTipError(`Stream ${streamId.toString()} is at ${prev?.toString() ?? 'nothing'}, not ${change.expectedTip}`, { tip: prev?.toString(), expectedTip: change.expectedTip })
        }
        if (change.patch == null && change.content === undefined && change.header == null) throw new InvalidInputError('An update needs content, a patch or a header change')
        const patch = change.patch ?? (change.content === undefined ? [] : diffContent(content, change.content))
        await commitOn(patch, change.header)
        content = change.patch != null ? applyPatch(content, change.patch) : change.content === undefined ? content : change.content
      }
    }
    // Nothing to write (a deterministic stream created again with what it holds).
    if (built.length === 0) return undefined
    return await verifyRun(streamId, record, await loadBuilt(built), true, base)
  }

  /** Commits this node just built, read back from their blocks as any commit is before it is verified. */
  async function loadBuilt (built: Array<{ cid: CID, blocks: Block[] }>): Promise<RawCommit[]> {
    const overlay = new Map(built.flatMap((commit) => commit.blocks).map((b) => [b.cid.toString(), b.bytes]))
    const source: BlockSource = async (cid) => overlay.get(cid.toString()) ?? await storeSource(cid)
    return await Promise.all(built.map(async (commit) => await loadCommit(commit.cid, source)))
  }

  /** Runs `task` holding the write turn of every stream in `ids` (taken in sorted order: no two calls wait on each other). */
  async function inTurnOfAll<T> (ids: string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(ids)].sort()
    const take = async (at: number): Promise<T> => at === sorted.length ? await task() : await queue.run(sorted[at], async () => await take(at + 1))
    return await take(0)
  }

  /** A signed data commit on `prev` applying `patch` (and header changes), as this stream type writes it. */
  async function patchCommit (streamId: StreamID, prev: CID, patch: Operation[], signer: Signer, header?: DataHeader): Promise<{ cid: CID, blocks: Block[] }> {
    return await buildSignedCommit(dataCommit({ genesis: streamId.cid, prev, patch, header, streamType: streamId.type }), signer)
  }

  /** Verifies and stores this node's own commits (oldest first) as one run: all or none. */
  async function writeLocal (streamId: StreamID, built: Array<{ cid: CID, blocks: Block[] }>, record: StreamRecord | undefined, base?: StreamState): Promise<StreamSnapshot> {
    return await accept(streamId, record, await loadBuilt(built), true, base)
  }

  async function ingestRun (streamId: StreamID, tip: CID, source: BlockSource, options: IngestWitness = {}): Promise<StreamSnapshot> {
    const id = streamId.toString()
    return await queue.run(id, async () => {
      const record = await findRecord(id)
      // Whether this stream holds a commit, without reading every commit of its history per update:
      // in its canonical log (cached), or else, if the block is here at all (a commit and its blocks
      // are stored in one write), among its commits on other branches.
      let canonical: Set<string> | undefined
      let all: Set<string> | undefined
      const held = async (commit: CID): Promise<boolean> => {
        if (record == null) return false
        const cid = commit.toString()
        canonical ??= new Set((await stateAt(record)).log.map((entry) => entry.cid.toString()))
        if (canonical.has(cid)) return true
        if (await store.getBlock(cid) == null) return false
        all ??= new Set((await store.getCommits(id)).map((c) => c.cid))
        return all.has(cid)
      }
      if (await held(tip)) return toSnapshot(await stateAt(record as StreamRecord), record)
      const fresh: RawCommit[] = []
      let cid: CID | undefined = tip
      while (cid != null && !await held(cid)) {
        const raw: RawCommit = await loadCommit(cid, source, options.loaded)
        fresh.unshift(raw)
        cid = raw.kind === 'genesis' ? undefined : raw.payload.prev
      }
      const base = cid == null ? undefined : await stateAt(record as StreamRecord, cid.toString())
      const snapshot = await accept(streamId, record, fresh, false, base, options.witnessedAt)
      // Only a fork can lose writes: commits that extend the old tip leave nothing to rebase.
      if (record == null || snapshot.tip === record.tip || cid?.toString() === record.tip) return snapshot
      return await rebaseLostWrites(streamId, record.tip) ?? snapshot
    })
  }

  /**
   * When commits from elsewhere make another branch canonical, this node's own writes on the losing
   * branch are not dropped (Ceramic drops them): what the lost branch changed since the branches'
   * common ancestor is merged by path into the winner and signed anew as one commit, if this node
   * can sign for the stream (streams/merge.ts). Where both changed one path, the winner's value
   * stands and the clash is logged. The losing branch stays stored as a tip. A merge the stream
   * refuses (schema, immutable fields) leaves that branch as a visible conflict.
   */
  async function rebaseLostWrites (streamId: StreamID, lostTip: string): Promise<StreamSnapshot | undefined> {
    const record = await readRecord(streamId.toString())
    const lost = await stateAt(record, lostTip)
    const winner = await stateAt(record)
    // Merging by JSON path would mix two envelopes' ciphertexts: a private document's lost branch stays a tip.
    if (isPrivateContent(winner.content) || isPrivateContent(lost.content)) return undefined
    const fork = winner.log.findIndex((entry, i) => !entry.cid.equals(lost.log[i]?.cid ?? entry.cid))
    if (fork === -1 && winner.log.length >= lost.log.length) return undefined // the winner already contains them
    const forkAt = fork === -1 ? winner.log.length : fork
    const authored = new Set((await store.getCommits(record.id)).filter((c) => c.local === true).map((c) => c.cid))
    const mine = lost.log.slice(forkAt).filter((e) => e.type === EventType.DATA && authored.has(e.cid.toString()))
    const signer = identity.signerFor(controllerOf(winner))
    if (mine.length === 0 || signer == null) return undefined
    const base = await stateAt(record, lost.log[forkAt - 1].cid.toString())
    const { merged, conflicts } = mergeContent(base.content, lost.content, winner.content)
    for (const conflict of conflicts) log('%s: both branches changed %s; the winner\'s value stands', record.id, conflict.path || '/')
    const header = await lostHeaderChanges(mine.map((e) => e.cid), base, winner)
    const patch = diffContent(winner.content, merged)
    if (patch.length === 0 && header == null) return undefined
    try {
      return await writeLocal(streamId, [await patchCommit(streamId, tipOf(winner), patch, signer, header)], record, winner)
    } catch (err) {
      // The stream refuses the merge, or it cannot be signed now: the lost branch stays as a
      // conflict tip. Anything else (a full disk, a closed store) is the caller's to hear.
      if (!REBASE_STOPPERS.some((E) => hasCode(err, E))) throw err
      log('rebase of %s onto %s stopped: %s', record.id, tipOf(winner).toString(), (err as Error).message)
      return undefined
    }
  }

  /** Header fields the lost commits changed (tags, family…) that the winner left as they were. */
  async function lostHeaderChanges (lostCommits: CID[], base: StreamState, winner: StreamState): Promise<DataHeader | undefined> {
    const changed: Record<string, unknown> = {}
    for (const cid of lostCommits) {
      const commit = await loadCommit(cid, storeSource)
      if (commit.kind === 'data') Object.assign(changed, commit.payload.header)
    }
    const before = base.metadata as unknown as Record<string, unknown>
    const now = winner.metadata as unknown as Record<string, unknown>
    const kept = Object.entries(changed).filter(([key, value]) => sameJson(now[key], before[key]) && !sameJson(value, now[key]))
    return kept.length === 0 ? undefined : Object.fromEntries(kept) as DataHeader
  }

  /** A private Tile: its genesis holds the envelope sealed for its readers' devices (private-docs.ts). */
  async function createPrivate (options: CreateOptions, type: number, author: Signer): Promise<StreamSnapshot> {
    if (type !== StreamType.TILE || options.deterministic === true || options.schema != null) {
      throw new InvalidInputError('A private document is a Tile with a random genesis and no schema (a schema would see only ciphertext)')
    }
    // The author's account becomes one others can share with (its other devices too, once they publish).
    await node.publishEncryptionKey()
    const { private: sharing, ...rest } = options
    const sealed = await privateDocs.create(options.content, sharing?.readers as string[], author.controller)
    const genesis = await buildGenesis(type, genesisPlan(type, { ...rest, content: sealed.envelope }, author.controller), author)
    const id = genesis.streamId.toString()
    privateDocs.remember(id, sealed.key)
    return await queue.run(id, async () => await writeLocal(genesis.streamId, [genesis], undefined))
  }

  const node: StreamNode = {
    get controller () { return identity.author()?.controller },

    async create (options) {
      const author = requireAuthor()
      const type = streamTypeCode(options.type ?? 'tile')
      if (options.private != null) return await createPrivate(options, type, author)
      const plan = genesisPlan(type, options, author.controller)
      const genesis = await buildGenesis(type, plan, author)
      const id = genesis.streamId.toString()
      return await queue.run(id, async () => {
        // Creating a deterministic stream again returns it, as Ceramic does.
        const existing = genesisMayExist(plan, type) ? await findRecord(id) : undefined
        // A single or set document's genesis is empty (anyone can compute its StreamID): its
        // content goes in a data commit right after it, as Ceramic's ModelInstanceDocument does,
        // verified and stored together with the genesis.
        const content = type === StreamType.MID && !plan.signed ? options.content : undefined
        if (existing == null) {
          const first = content === undefined ? [] : [await patchCommit(genesis.streamId, genesis.cid, diffContent(null, content), author)]
          return await writeLocal(genesis.streamId, [genesis, ...first], undefined)
        }
        const state = await stateAt(existing)
        const patch = content === undefined ? [] : diffContent(state.content, content)
        if (patch.length === 0) return toSnapshot(state, existing)
        // The document exists: `content` replaces what it holds, as an update would.
        return await writeLocal(genesis.streamId, [await patchCommit(genesis.streamId, tipOf(state), patch, requireSignerFor(controllerOf(state)))], existing, state)
      })
    },

    async fork (ref, changes = {}) {
      const author = requireAuthor()
      const source = await node.load(ref)
      const relation = source.type === StreamType.MID ? accountRelationOf(await loadState(StreamID.fromString(source.metadata.model as string))) : undefined
      const genesis = await buildGenesis(source.type, forkPlan(source, changes ?? {}, author.controller, relation), author)
      // A fork's genesis carries random bytes (Tile and list documents): it is always a new stream.
      return await queue.run(genesis.streamId.toString(), async () => await writeLocal(genesis.streamId, [genesis], undefined))
    },

    async writeMany (writes) {
      if (!Array.isArray(writes) || writes.length === 0 || writes.length > MAX_BATCH_WRITES) {
        throw new InvalidInputError(`writeMany takes 1 to ${MAX_BATCH_WRITES} writes`, { writes: Array.isArray(writes) ? writes.length : typeof writes })
      }
      // Every genesis is built and signed first, all at once (a create's StreamID is its genesis').
      const planned = await Promise.all(writes.map(async (write): Promise<PlannedWrite> => {
        if (write != null && 'create' in write) {
          if (write.create?.private != null) throw new InvalidInputError('writeMany does not create private documents yet: use create')
          const author = requireAuthor()
          const type = streamTypeCode(write.create.type ?? 'tile')
          const plan = genesisPlan(type, write.create, author.controller)
          const genesis = await buildGenesis(type, plan, author)
          const single = type === StreamType.MID && !plan.signed
          return { streamId: genesis.streamId, genesis, mayExist: genesisMayExist(plan, type), genesisContent: plan.payload.data, firstContent: single ? write.create.content : undefined }
        }
        if (write == null || typeof (write as { id?: unknown }).id !== 'string' || (write as { update?: unknown }).update == null) {
          throw new InvalidInputError('Each write is { create } or { id, update }')
        }
        return { streamId: StreamID.fromString(write.id), update: write.update }
      }))
      const byStream = new Map<string, PlannedWrite[]>()
      for (const write of planned) {
        const id = write.streamId.toString()
        byStream.set(id, [...(byStream.get(id) ?? []), write])
      }
      return await inTurnOfAll([...byStream.keys()], async () => {
        // Each stream's commits are signed and verified concurrently with the others'.
        const verified = await Promise.all([...byStream.values()].map(planRun))
        const runs = verified.filter((run) => run != null)
        if (runs.length > 0) await stored(store.putCommits(runs.map((run) => run.batch)), runs)
        const after = new Map<string, StreamSnapshot>()
        for (const run of runs) after.set(run.batch.stream.id, await announce(run))
        return await Promise.all(planned.map(async (write) => after.get(write.streamId.toString()) ?? await node.load(write.streamId.toString())))
      })
    },

    async update (id, change) {
      const streamId = StreamID.fromString(id)
      return await queue.run(streamId.toString(), async () => {
        const record = await readRecord(streamId.toString())
        if (change.expectedTip != null && change.expectedTip !== record.tip) {
          throw new StaleTipError(`Stream ${id} is at ${record.tip}, not ${change.expectedTip}: load it and apply the change again`, { tip: record.tip, expectedTip: change.expectedTip })
        }
        const state = await stateAt(record)
        const author = requireSignerFor(controllerOf(state))
        if (change.patch == null && change.content === undefined && change.header == null) throw new InvalidInputError('An update needs content, a patch or a header change')
        if (isPrivateContent(state.content)) {
          // The change applies to the plaintext; what is stored is the envelope sealed anew.
          const newContent = (old: unknown): unknown => change.patch != null ? applyPatch(old, change.patch) : change.content === undefined ? old : change.content
          const sealed = await privateDocs.change(record.id, state.content, controllerOf(state), { content: newContent })
          return await writeLocal(streamId, [await patchCommit(streamId, tipOf(state), diffContent(state.content, sealed.envelope), author, change.header)], record, state)
        }
        const patch = change.patch ?? (change.content === undefined ? [] : diffContent(state.content, change.content))
        return await writeLocal(streamId, [await patchCommit(streamId, tipOf(state), patch, author, change.header)], record, state)
      })
    },

    async share (id, change) {
      const streamId = StreamID.fromString(id)
      return await queue.run(streamId.toString(), async () => {
        const record = await readRecord(streamId.toString())
        const state = await stateAt(record)
        if (!isPrivateContent(state.content)) throw new InvalidInputError(`Stream ${id} is not a private document`, { id })
        const author = requireSignerFor(controllerOf(state))
        const sealed = await privateDocs.change(record.id, state.content, controllerOf(state), { share: change ?? {} })
        return await writeLocal(streamId, [await patchCommit(streamId, tipOf(state), diffContent(state.content, sealed.envelope), author)], record, state)
      })
    },

    async publishEncryptionKey () {
      const key = components.encryptionKey
      if (key == null) throw new NotAReaderError('This node has no encryption key to publish')
      requireAuthor()
      const directory = await node.create({ ...keyDirectoryCreate })
      const content = withDeviceKey(directory.content, key.id)
      return content == null ? directory : await node.update(directory.id, { content })
    },

    hasKeyDirectory: async (account) => await findRecord(await keyDirectoryId(account)) != null,

    async load (ref) {
      const parsed = parseStreamRef(ref)
      const record = await readRecord(parsed.baseID.toString())
      if (CommitID.isCommitID(parsed)) {
        const state = await stateAt(record, parsed.commit.toString())
        if (!state.log.some((e) => e.cid.equals(parsed.commit))) throw new StreamNotFoundError(`Commit ${parsed.commit.toString()} is not part of ${record.id}`)
        return await present(state, record, true)
      }
      return await present(await stateAt(record), record)
    },

    async conflicts (id) {
      return await conflictsOf(await readRecord(StreamID.fromString(id).toString()))
    },

    async resolveConflict (id, resolution) {
      const streamId = StreamID.fromString(id)
      return await queue.run(streamId.toString(), async () => {
        const record = await readRecord(streamId.toString())
        const state = await stateAt(record)
        if (isPrivateContent(state.content)) throw new InvalidInputError('Conflicts of private documents cannot be resolved yet (they are not derived from the plaintext)', { id })
        const author = requireSignerFor(controllerOf(state))
        const value = resolution != null && 'value' in resolution ? resolution.value : undefined
        // It settles the branches this node reports at the path now; one that arrives later is reported anew.
        const settles = (await conflictsOf(record)).filter((c) => c.path === resolution?.path).map((c) => c.other.commit)
        const patch = resolutionPatch(state.content, resolution?.path, value, settles)
        return await writeLocal(streamId, [await patchCommit(streamId, tipOf(state), patch, author)], record, state)
      })
    },

    async history (id) {
      const record = await readRecord(StreamID.fromString(id).toString())
      const state = await stateAt(record)
      const received = new Map((await store.getCommits(record.id)).map((c) => [c.cid, c.receivedAt]))
      return state.log.map((entry) => {
        const item: HistoryEntry = { cid: entry.cid.toString(), commitId: state.id.atCommit(entry.cid).toString(), type: entry.type }
        if (entry.timestamp != null) item.timestamp = entry.timestamp
        const at = received.get(entry.cid.toString())
        if (at != null) item.receivedAt = at
        return item
      })
    },

    async has (ref) {
      return await findRecord(parseStreamRef(ref).baseID.toString()) != null
    },

    async find (id) {
      const record = await findRecord(StreamID.fromString(id).toString())
      return record == null ? undefined : headsOf(record)
    },

    isPinned: async (id) => (await findRecord(StreamID.fromString(id).toString()))?.pinned === true,

    subscribe (target, listener) {
      const entry = { target: typeof target === 'string' ? StreamID.fromString(target).toString() : { ...target }, listener }
      listeners.add(entry)
      return () => { listeners.delete(entry) }
    },

    onCommit (listener) {
      commitListeners.add(listener)
      return () => { commitListeners.delete(listener) }
    },

    async heads (query, page) {
      await fieldIndexes.ready(query)
      const result = await store.query(query, page)
      const items = result.items.map(headsOf)
      return result.cursor == null ? { items } : { items, cursor: result.cursor }
    },

    block: async (cid) => await store.getBlock(cid),

    commits: async (id) => (await store.getCommits(id)).map((c) => c.prev == null ? { cid: c.cid, receivedAt: c.receivedAt } : { cid: c.cid, prev: c.prev, receivedAt: c.receivedAt }),

    async allCommits (page) {
      const result = await store.listCommits(page)
      const items = result.items.map((c) => c.local === true ? { stream: c.stream, cid: c.cid, local: true as const } : { stream: c.stream, cid: c.cid })
      return result.cursor == null ? { items } : { items, cursor: result.cursor }
    },

    ...(store.listEventKeys == null ? {} : { allEventKeys: store.listEventKeys }),

    async commitData (id) {
      const written: unknown[] = []
      for (const { cid } of await store.getCommits(StreamID.fromString(id).toString())) {
        const commit = await loadCommit(parseCidOrThrow(cid), storeSource)
        if (commit.kind !== 'time' && commit.payload.data != null) written.push(commit.payload.data)
      }
      return written
    },

    async query (query, page) {
      if (await modelNotHeld(query)) return { items: [] }
      await fieldIndexes.ready(query)
      const result = await store.query(query, page)
      const states = await tipStatesOf(result.items)
      const items = await Promise.all(result.items.map(async ({ tipState: _, ...record }, i) => await present(states[i], record)))
      return result.cursor == null ? { items } : { items, cursor: result.cursor }
    },

    async count (query) {
      if (await modelNotHeld(query)) return 0
      await fieldIndexes.ready(query)
      return await store.count(query)
    },

    indexModel: async (model, indexes) => await fieldIndexes.declare(StreamID.fromString(model).toString(), indexes),
    indexes: async (model) => await fieldIndexes.statuses(model == null ? undefined : StreamID.fromString(model).toString()),

    async exportCar (ref) {
      // A CommitID exports that version's log: how a branch that is not canonical is handed on.
      const parsed = parseStreamRef(ref)
      const record = await readRecord(parsed.baseID.toString())
      return await exportStreamCar(await stateAt(record, CommitID.isCommitID(parsed) ? parsed.commit.toString() : record.tip), storeSource)
    },

    async importCar (bytes) {
      const car = await decodeCar(bytes)
      const source: BlockSource = async (cid) => car.blocks.get(cid.toString())?.bytes ?? await storeSource(cid)
      const contents = await readCarContents(car, source, async (id) => new Set((await store.getCommits(id.toString())).map((c) => c.cid)))
      for (const tip of contents.tips) await asCarError(async () => await ingestRun(contents.streamId, tip, source))
      const record = await readRecord(contents.streamId.toString())
      return { ...await privateDocs.reveal(toSnapshot(await stateAt(record), record)), imported: { tips: contents.tips.map(String), commits: contents.commits } }
    },

    async ingest (streamId, tip, source, options) {
      return await ingestRun(StreamID.fromString(streamId), parseCidOrThrow(tip), source, options)
    },

    async forget (id) {
      const streamId = StreamID.fromString(id).toString()
      const forgotten = await queue.run(streamId, async () => {
        const record = await findRecord(streamId)
        if (record == null || record.pinned) return false
        const blocks: string[] = []
        for (const { cid } of await store.getCommits(streamId)) blocks.push(...await ownBlocksOf(cid))
        await store.forget(streamId, blocks)
        cache.forget(streamId)
        return true
      })
      if (forgotten) for (const listener of forgetListeners) { try { listener(streamId) } catch (err) { queueMicrotask(() => { throw err }) } }
      return forgotten
    },

    onForget (listener) {
      forgetListeners.add(listener)
      return () => { forgetListeners.delete(listener) }
    },

    async pin (id) { await setPinned(id, true) },
    async unpin (id) { await setPinned(id, false) },

    async stats () {
      return { ...(await store.stats()), subscriptions: listeners.size }
    },

    async close () {
      listeners.clear()
      commitListeners.clear()
      forgetListeners.clear()
      await queue.drain()
      await store.close()
    }
  }
  return node
}

function headsOf (record: StreamRecord): StreamHeads {
  const heads: StreamHeads = { id: record.id, tips: record.tips, controller: record.controller }
  if (record.model != null) heads.model = record.model
  if (record.initController != null) heads.initController = record.initController
  if (record.family != null) heads.family = record.family
  if (record.schema != null) heads.schema = record.schema
  return heads
}

function accountRelationOf (model: StreamState): AccountRelation | undefined {
  return (model.content as { accountRelation?: { type?: AccountRelation } } | null)?.accountRelation?.type
}
