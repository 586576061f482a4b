/**
 * The worker's serving side: one host per node, one connection per client (a tab's port). Every
 * call comes from the table in api/calls.ts; the node answers its own calls, the host those about
 * the network and wallet sessions, and each connection keeps its own subscriptions.
 */
import { parseStreamRef } from '../ids/parse.js'
import { HOST_CALLS, NODE_CALLS, type HostServedCall, type NodeCalls, type NodeServedCall, type WorkerApi, forwardCalls } from '../api/calls.js'
import type { FileProgress, Follow, FollowStatus, GarbageCollected, GarbageCollectionOptions, NodeMode, NodeStatus, StreamSnapshot } from '../api/types.js'
import { InvalidInputError, NoSignerError, type KilnErrorLike, StoreClosedError, errorToPlain, hasCode } from '../errors.js'
import type { SessionKeeper } from '../identity/sessions.js'
import type { Logger } from '../logger.js'
import type { StreamHeads, StreamNode } from '../node/stream-node.js'
import { allHeads } from '../sync/local-streams.js'
import type { FileStore } from '../files/file-store.js'
import { documentFileRoots } from '../files/file-roots.js'
import { scheduleGarbageCollection } from '../files/gc-schedule.js'
import type { BrowserNetwork } from './browser-network.js'
import { keepPinnedFiles } from './pinned-files.js'
import type { RtcBridge } from './rtc-proxy.js'
import type { TrustedChains } from '../anchors/trusted-chains.js'
import { type Follows, parseFollow } from './follows.js'

export interface NodeHostInit {
  node: StreamNode
  mode: NodeMode
  /** Wallet sessions (the browser node keeps them). */
  sessions?: SessionKeeper
  /** Starts networking with the first peers given (libp2p is loaded only then). */
  startNetwork?: (peers: string[]) => Promise<BrowserNetwork>
  /** Models this node follows (kept across restarts); the network reads them each round. */
  follows?: Follows
  /** The worker's WebRTC stand-in (rtc-proxy.ts): a tab that offers to host peer connections is attached to it. */
  rtc?: RtcBridge
  /** Told after each sign-in (the browser host publishes the device's encryption key for the account then). */
  onSignIn?: () => void
  /** The node's files, opened on the first file call (helia and UnixFS load only then). */
  files?: () => Promise<FileStore>
  /** The chains the node's anchor validator trusts; pages add to them. */
  anchors?: TrustedChains
  /** Once files are open, garbage is collected this often (ms) while no file is being added or read. */
  gcIntervalMs?: number
  log: Logger
}

export interface NodeHost {
  /**
   * Serves one more client. Its connection ends on `bye()`, or when `watchGone` reports the
   * client's tab gone (the worker cannot see tabs close). `release` is told of each listener the
   * client gave once the node is done with it (the transport may hold resources for it).
   */
  connect: (watchGone: (clientId: string, gone: () => void) => void, release?: (listener: unknown) => void) => WorkerApi
  /** The store was closed underneath the node: every client is told, now and on later calls. */
  announceClosed: (error: unknown) => void
  /** The worker's WebRTC stand-in, when it has one: the tab that hosts peer connections attaches to it. */
  rtc?: RtcBridge
}

interface Connection {
  dispose: () => void
  notifyClosed: (error: KilnErrorLike) => void
}

export function createNodeHost (init: NodeHostInit): NodeHost {
  const { node, log } = init
  const clients = new Set<Connection>()
  let closed: KilnErrorLike | undefined
  /** Started by the first `addPeers`; the node stays offline until then. */
  let network: Promise<BrowserNetwork> | undefined

  const sessions = (): SessionKeeper => {
    if (init.sessions == null) throw new NoSignerError('This node does not keep wallet sessions')
    return init.sessions
  }

  /**
   * Loads a stream (or a commit of one); one this node does not hold is fetched from its peers
   * first, when it has any, and is kept current from then on.
   */
  const load = async (ref: string): Promise<StreamSnapshot> => {
    if (network != null && !await node.has(ref)) await fetchFromPeers(ref)
    return await node.load(ref)
  }

  /** True once the stream is stored; false when there are no peers or none has it. */
  const fetchFromPeers = async (ref: string): Promise<boolean> => {
    const running = await network?.catch(() => undefined)
    return running != null && await running.fetchStream(parseStreamRef(ref).baseID.toString())
  }

  let fileStore: Promise<FileStore> | undefined
  let fileCalls = 0
  let gcScheduled = false
  const files = async (): Promise<FileStore> => {
    if (init.files == null) throw new InvalidInputError('This node keeps no files')
    if (fileStore == null) {
      const opening = init.files()
      fileStore = opening
      // A failed open is reported to this caller; the next file call tries again.
      opening.then(scheduleGc, () => { fileStore = undefined })
    }
    return await fileStore
  }
  /** Counts a file call in progress, so idle garbage collection waits for it to end. */
  const fileCall = async <T>(task: () => Promise<T>): Promise<T> => {
    fileCalls++
    try { return await task() } finally { fileCalls-- }
  }
  const collectGarbage = async (options: GarbageCollectionOptions = {}): Promise<GarbageCollected> => {
    return await (await files()).collectGarbage(documentFileRoots(node), { graceMs: options?.graceMs })
  }
  const scheduleGc = (): void => {
    if (init.gcIntervalMs == null || gcScheduled) return
    gcScheduled = true
    scheduleGarbageCollection(collectGarbage, { intervalMs: init.gcIntervalMs, isIdle: () => fileCalls === 0, log })
  }

  const follows = (): Follows => {
    if (init.follows == null) throw new InvalidInputError('This node cannot follow Models')
    return init.follows
  }

  /** How many documents of a follow this node holds (counted in the store), and how far catch-up is. */
  const statusOf = async (follow: Follow): Promise<FollowStatus> => {
    const status: FollowStatus = { ...follow, held: await node.count({ ...follow }) }
    const running = await network?.catch(() => undefined)
    if (running != null) status.catchUp = running.catchUp(follow)
    return status
  }

  /** Forgets the documents of an unfollowed follow that nothing else this node keeps needs. */
  const forgetUnneeded = async (follow: Follow): Promise<number> => {
    const own = new Set([node.controller, ...(init.sessions?.list() ?? []).map((s) => s.account)])
    const remaining = follows().list()
    const needed = (heads: StreamHeads): boolean => own.has(heads.controller) ||
      remaining.some((f) => f.model === heads.model && (f.controller == null || f.controller === heads.controller))
    const unneeded: string[] = []
    for await (const heads of allHeads(node, follow)) if (!needed(heads)) unneeded.push(heads.id)
    let forgotten = 0
    for (const id of unneeded) if (await node.forget(id)) forgotten++
    return forgotten
  }

  /** A catch-up round now, so a new follow (or sign-in) does not wait for the periodic one. */
  const syncSoon = (why: string): void => {
    void network?.then(async (running) => { await running.syncNow() })
      .catch((err: unknown) => { log.error('catch-up after %s failed: %s', why, (err as Error)?.message) })
  }

  const hostCalls: Pick<NodeCalls, HostServedCall> = {
    load,
    async fork (ref, changes) {
      if (network != null && !await node.has(ref)) await fetchFromPeers(ref)
      return await node.fork(ref, changes)
    },
    async status () {
      const stats = await node.stats().catch((err: unknown) => {
        // A store closed underneath the node still has a status: `closed` says why.
        if (closed == null && !hasCode(err, StoreClosedError)) throw err
        return { streams: 0, commits: 0, subscriptions: 0 }
      })
      const status: NodeStatus = { mode: init.mode, storage: 'indexeddb', streams: stats.streams, commits: stats.commits, subscriptions: stats.subscriptions, clients: clients.size }
      if (node.controller != null) status.did = node.controller
      if (closed != null) status.closed = closed
      const session = init.sessions?.list().find((s) => s.active)
      if (session != null) status.session = session
      if (network != null) status.network = (await network).status()
      return status
    },
    async addPeers (addrs) {
      if (addrs.length === 0) return
      if (network == null) {
        if (init.startNetwork == null) throw new InvalidInputError('This node has no network')
        const starting = init.startNetwork(addrs)
        network = starting
        // A failed start is reported to this caller; the next addPeers tries again.
        starting.catch(() => { if (network === starting) network = undefined })
      }
      ;(await network).addPeers(addrs)
    },
    prepareSession: async () => await sessions().prepare(),
    async completeSession (cacao) {
      const session = await sessions().complete(cacao)
      // A new account: catch up on its streams now rather than at the next periodic round.
      syncSoon('sign-in')
      // An account that shares private documents lists this device's key from now on.
      init.onSignIn?.()
      return session
    },
    async follow (wanted) {
      const follow = parseFollow(wanted)
      if (await follows().add(follow)) syncSoon('a new follow')
      // The Model itself too: its definition says which relation fields its documents index.
      if (!await node.has(follow.model)) {
        await fetchFromPeers(follow.model).catch((err: unknown) => { log.error('fetching followed Model %s failed: %s', follow.model, (err as Error)?.message) })
      }
      return await statusOf(follow)
    },
    async unfollow (wanted) {
      const follow = parseFollow(wanted)
      await follows().remove(follow)
      // Answered once gossip no longer takes new documents of it.
      const running = await network?.catch(() => undefined)
      await running?.refreshWants()
      return { forgotten: await forgetUnneeded(follow) }
    },
    follows: async () => await Promise.all(follows().list().map(statusOf)),
    async trustAnchorChains (chains) {
      if (init.anchors == null) throw new InvalidInputError('This node checks no anchors')
      await init.anchors.trust(chains)
      return init.anchors.list()
    },
    async setPresence (id, state) {
      const running = await network?.catch(() => undefined)
      await running?.presence.set(id, state)
    },
    async presence (id) {
      const running = await network?.catch(() => undefined)
      if (running == null) {
        parseStreamRef(id)
        return []
      }
      return running.presence.peers(id)
    },
    addFile: async (data, onProgress) => await fileCall(async () => {
      const store = await files()
      const size = data instanceof Blob ? data.size : data.byteLength
      return await store.add(data instanceof Blob ? blobChunks(data) : data, { size, onProgress: throttled(onProgress) })
    }),
    readFile: async (cid, onProgress) => await fileCall(async () => {
      const parts: Uint8Array<ArrayBuffer>[] = []
      for await (const chunk of (await files()).read(cid, { onProgress: throttled(onProgress) })) parts.push(new Uint8Array(chunk))
      return new Blob(parts)
    }),
    collectGarbage,
    sessions: async () => init.sessions?.list() ?? [],
    signOut: async (account) => { await sessions().signOut(account) }
  }
  const pinnedFiles = init.files == null ? undefined : keepPinnedFiles(node, files, log)
  const served: Pick<NodeCalls, NodeServedCall | HostServedCall> = {
    ...forwardCalls(NODE_CALLS, async (method, args) => await (node[method] as (...a: unknown[]) => Promise<unknown>)(...args)),
    ...forwardCalls(HOST_CALLS, async (method, args) => await (hostCalls[method] as (...a: unknown[]) => Promise<unknown>)(...args)),
    // The node pins; the host then fetches the document's files in the background (pinned-files.ts).
    async pin (id) {
      await node.pin(id)
      void pinnedFiles?.pinned(id)
    }
  }

  function connect (watchGone: (clientId: string, gone: () => void) => void, release: (listener: unknown) => void = () => {}): WorkerApi {
    /** Each subscription's stop, which also releases its listener. */
    const subscriptions = new Map<number, () => void>()
    const closedListeners = new Set<(error: KilnErrorLike) => void>()
    let greeted = false
    let nextId = 1
    const end = (subscriptionId: number): void => {
      subscriptions.get(subscriptionId)?.()
      subscriptions.delete(subscriptionId)
    }

    const connection: Connection = {
      dispose () {
        for (const id of [...subscriptions.keys()]) end(id)
        for (const listener of closedListeners) release(listener)
        closedListeners.clear()
        clients.delete(connection)
      },
      notifyClosed (error) {
        // A listener in a tab that is gone: nothing to tell.
        for (const listener of closedListeners) Promise.resolve(listener(error)).catch(() => {})
      }
    }
    clients.add(connection)

    return {
      ...served,
      async hello (clientId) {
        if (greeted) return
        greeted = true
        watchGone(clientId, () => { connection.dispose() })
      },
      async bye () { connection.dispose() },
      async subscribe (target, listener) {
        // A stream this node does not hold yet is fetched from peers; the listener hears its state.
        if (typeof target === 'string' && network != null && !await node.has(target)) {
          fetchFromPeers(target).catch((err: unknown) => { log('fetching %s for a subscriber failed: %s', target, (err as Error)?.message) })
        }
        const id = nextId++
        const stop = node.subscribe(target, (snapshot) => {
          // A tab that vanished without its lock firing yet: drop the listener, keep the node going.
          Promise.resolve(listener(snapshot)).catch(() => { end(id) })
        })
        subscriptions.set(id, () => { stop(); release(listener) })
        return id
      },
      async unsubscribe (subscriptionId) { end(subscriptionId) },
      async onClosed (listener) {
        if (closed != null) listener(closed)
        else closedListeners.add(listener)
      }
    }
  }

  return {
    connect,
    ...init.rtc == null ? {} : { rtc: init.rtc },
    announceClosed (error) {
      closed = errorToPlain(error)
      for (const client of clients) client.notifyClosed(closed)
    }
  }
}

/** Progress is told to a page at most every PROGRESS_STEP_BYTES (and at the end), and never awaited. */
const PROGRESS_STEP_BYTES = 256 * 1024

function throttled (listener: ((progress: FileProgress) => void) | undefined): ((progress: FileProgress) => void) | undefined {
  if (listener == null) return undefined
  let told = -Infinity
  return (progress) => {
    if (progress.bytes - told < PROGRESS_STEP_BYTES && progress.bytes !== progress.total) return
    told = progress.bytes
    // A listener in a tab that is gone: the file work goes on.
    Promise.resolve(listener(progress)).catch(() => {})
  }
}

async function * blobChunks (blob: Blob): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.releaseLock()
  }
}
