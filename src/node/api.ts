import type { Cacao } from '@didtools/cacao'
import { parseStreamRef } from '../ids/parse.js'
import type { KilnErrorLike } from '../errors.js'
import { InvalidInputError, NoSignerError, errorToPlain } from '../errors.js'
import type { SessionInfo, SessionKeeper } from '../identity/sessions.js'
import type { BrowserNetwork, NetworkStatus } from './browser-network.js'
import type { Page, PageRequest, StreamQuery } from '../store/store.js'
import type { StreamSnapshot } from './snapshot.js'
import type { CreateOptions, HistoryEntry, NodeStats, StreamNode, UpdateOptions } from './stream-node.js'

/** Where the node runs, as `status()` reports it. */
export type NodeMode = 'shared-worker' | 'dedicated-worker' | 'node'

export interface NodeStatus {
  did?: string
  mode: NodeMode
  storage: 'indexeddb' | 'disk' | 'memory'
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

/**
 * The node's operations as plain-data calls: what a page reaches through Comlink. Never the node
 * itself (Comlink would publish every reachable property).
 */
export interface KilnApi {
  /** Announces the client; the host drops the client's subscriptions when it goes away. */
  hello: (clientId: string) => Promise<void>
  create: (options: CreateOptions) => Promise<StreamSnapshot>
  update: (id: string, change: UpdateOptions) => Promise<StreamSnapshot>
  load: (ref: string) => Promise<StreamSnapshot>
  history: (id: string) => Promise<HistoryEntry[]>
  query: (query: StreamQuery, page?: PageRequest) => Promise<Page<StreamSnapshot>>
  exportCar: (id: string) => Promise<Uint8Array>
  importCar: (bytes: Uint8Array) => Promise<StreamSnapshot>
  pin: (id: string) => Promise<void>
  unpin: (id: string) => Promise<void>
  stats: () => Promise<NodeStats>
  status: () => Promise<NodeStatus>
  /** Registers a listener (a Comlink proxy from the page); returns an id for `unsubscribe`. */
  subscribe: (target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void) => Promise<number>
  unsubscribe: (subscriptionId: number) => Promise<void>
  /** Registers a listener told once if the store is closed underneath the node. */
  onClosed: (listener: (error: KilnErrorLike) => void) => Promise<void>
  /** Wallet sign-in, step 1: the node makes a session key and returns its DID (the CACAO audience). */
  prepareSession: () => Promise<string>
  /** Wallet sign-in, step 2: the node checks the wallet-signed CACAO and keeps the session. */
  completeSession: (cacao: Cacao) => Promise<SessionInfo>
  sessions: () => Promise<SessionInfo[]>
  /** Forgets one account's session, or every session. */
  signOut: (account?: string) => Promise<void>
  /** Connects to these peers (server peers' WebSocket multiaddrs) and syncs with them; starts networking. */
  addPeers: (addrs: string[]) => Promise<void>
}

/** What one node shares among all its clients. */
export interface NodeHost {
  node: StreamNode
  /** Started by the first `addPeers`; the node stays offline until then. */
  network?: Promise<BrowserNetwork>
  startNetwork?: (peers: string[]) => Promise<BrowserNetwork>
  /** Wallet sessions, where the node can hold them (the browser node). */
  sessions?: SessionKeeper
  mode: NodeMode
  storage: NodeStatus['storage']
  clients: Set<ClientConnection>
  closed?: KilnErrorLike
}

export interface ClientConnection {
  api: KilnApi
  /** Forgets the client's subscriptions (the tab closed). */
  dispose: () => void
  /** Tells the client the store closed underneath the node. */
  notifyClosed: (error: KilnErrorLike) => void
}

/** One client's view of the node: its own subscriptions, forgotten when it goes away. */
export function createClientConnection (host: NodeHost, watchClientGone: (clientId: string, gone: () => void) => void): ClientConnection {
  const { node } = host
  const subscriptions = new Map<number, () => void>()
  const closedListeners = new Set<(error: KilnErrorLike) => void>()
  let nextId = 1

  const connection: ClientConnection = {
    dispose () {
      for (const stop of subscriptions.values()) stop()
      subscriptions.clear()
      closedListeners.clear()
      host.clients.delete(connection)
    },
    notifyClosed (error) {
      for (const listener of closedListeners) Promise.resolve(listener(error)).catch(() => {})
    },
    api: {
      async hello (clientId) { watchClientGone(clientId, () => connection.dispose()) },
      create: async (options) => await node.create(options),
      update: async (id, change) => await node.update(id, change),
      load: async (ref) => await loadOrFetch(host, ref),
      history: async (id) => await node.history(id),
      query: async (query, page) => await node.query(query, page),
      exportCar: async (id) => await node.exportCar(id),
      importCar: async (bytes) => await node.importCar(bytes),
      pin: async (id) => { await node.pin(id) },
      unpin: async (id) => { await node.unpin(id) },
      stats: async () => await node.stats(),
      async status () {
        const stats = await node.stats().catch(() => ({ streams: 0, commits: 0, subscriptions: 0 }))
        const status: NodeStatus = { mode: host.mode, storage: host.storage, streams: stats.streams, commits: stats.commits, subscriptions: stats.subscriptions, clients: host.clients.size }
        if (node.controller != null) status.did = node.controller
        if (host.closed != null) status.closed = host.closed
        const session = host.sessions?.list().find((s) => s.active)
        if (session != null) status.session = session
        if (host.network != null) status.network = (await host.network).status()
        return status
      },
      async addPeers (addrs) {
        if (addrs.length === 0) return
        if (host.network == null) {
          if (host.startNetwork == null) throw new InvalidInputError('This node has no network')
          host.network = host.startNetwork(addrs)
          // A failed start is reported to this caller; the next addPeers tries again.
          host.network.catch(() => { host.network = undefined })
        }
        ;(await host.network).addPeers(addrs)
      },
      prepareSession: async () => await sessionsOf(host).prepare(),
      async completeSession (cacao) {
        const session = await sessionsOf(host).complete(cacao)
        // A new account: catch up on its streams now rather than at the next periodic round.
        void host.network?.then(async (network) => { await network.syncNow() }).catch(() => {})
        return session
      },
      sessions: async () => host.sessions?.list() ?? [],
      signOut: async (account) => { await sessionsOf(host).signOut(account) },
      async subscribe (target, listener) {
        // A stream this node does not hold yet is fetched from peers; the listener hears its state.
        if (typeof target === 'string') void loadOrFetch(host, target).catch(() => {})
        const id = nextId++
        subscriptions.set(id, node.subscribe(target, (snapshot) => {
          // A tab that vanished without its lock firing yet: drop the listener, keep the node going.
          Promise.resolve(listener(snapshot)).catch(() => { subscriptions.get(id)?.(); subscriptions.delete(id) })
        }))
        return id
      },
      async unsubscribe (subscriptionId) {
        subscriptions.get(subscriptionId)?.()
        subscriptions.delete(subscriptionId)
      },
      async onClosed (listener) {
        if (host.closed != null) listener(host.closed)
        else closedListeners.add(listener)
      }
    }
  }
  host.clients.add(connection)
  return connection
}

function sessionsOf (host: NodeHost): SessionKeeper {
  if (host.sessions == null) throw new NoSignerError('This node does not keep wallet sessions')
  return host.sessions
}

/** Tells every client that the store closed underneath the node. */
export function announceClosed (host: NodeHost, error: unknown): void {
  host.closed = errorToPlain(error)
  for (const client of host.clients) client.notifyClosed(host.closed)
}

/**
 * Loads a stream (or a commit of one); one this node does not hold is fetched from its peers
 * first, when it has any, and is kept current from then on.
 */
async function loadOrFetch (host: NodeHost, ref: string): Promise<StreamSnapshot> {
  try {
    return await host.node.load(ref)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_STREAM_NOT_FOUND' || host.network == null) throw err
    const network = await host.network.catch(() => undefined)
    if (network == null || !await network.fetchStream(parseStreamRef(ref).baseID.toString())) throw err
    return await host.node.load(ref)
  }
}
