import * as Comlink from 'comlink'
import type { KilnErrorLike } from '../errors.js'
import type { KilnApi } from '../node/api.js'
import type { StreamSnapshot } from '../node/snapshot.js'
import type { StreamQuery } from '../store/store.js'
import { openFallback } from './fallback.js'
import type { NodeLink } from './fallback-protocol.js'
import { installErrorWire } from './wire.js'
import { type EthereumProvider, type SignInOptions, scheduleRenewal, signInWithEthereum } from './sign-in.js'
import type { SessionInfo } from '../identity/sessions.js'

/** Set by the script-tag (IIFE) build: the URL of kiln.iife.js, to find kiln-worker.js next to it. */
declare const __kilnScriptUrl: string | undefined

export interface ConnectOptions {
  /** Where the worker bundle is; defaults to the one shipped next to this library. */
  workerUrl?: string | URL
  /** Node name: one node (and one IndexedDB database) per name per origin. */
  name?: string
  /** Called if the node's store is closed underneath it (a newer Kiln took over in another tab). */
  onClosed?: (error: KilnErrorLike) => void
  /**
   * Server peers to sync with, as WebSocket multiaddrs (`/dns4/peer.example/tcp/443/wss/p2p/12D3…`).
   * Without any the node works offline; writes are published once peers are given.
   */
  peers?: string[]
}

/** The node's calls as a page makes them (same names and types as the worker's API). */
type NodeCalls = Omit<KilnApi, 'hello' | 'subscribe' | 'unsubscribe' | 'onClosed' | 'prepareSession' | 'completeSession'>

/** A tab's handle on the origin's node. Every call runs in the worker; errors arrive typed. */
export interface Kiln extends NodeCalls {
  /** Calls `listener` in this tab whenever a matching stream changes, from any tab or peer. */
  subscribe: (target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void) => Promise<() => Promise<void>>
  /**
   * Signs in with an Ethereum wallet (any EIP-1193 provider): new streams are then controlled by
   * `did:pkh:eip155:<chain>:<address>` and signed by a session key that never leaves the worker.
   * The session is shared by every tab and survives restarts; this tab renews it before it expires.
   */
  signIn: (provider: EthereumProvider, options?: SignInOptions) => Promise<SessionInfo>
  /** The session new streams are written with, if any. */
  session: () => Promise<SessionInfo | undefined>
  /** Disconnects this tab (its subscriptions end); the node keeps running for other tabs. */
  close: () => void
}

/**
 * Connects this tab to the origin's Kiln node, starting it if no tab has yet.
 *
 * @example
 * const kiln = await connect()
 * const note = await kiln.create({ content: { title: 'Hello' } })
 * await kiln.subscribe(note.id, (s) => { console.log(s.content) })
 * await kiln.update(note.id, { content: { title: 'Hello again' } })
 */
export async function connect (options: ConnectOptions = {}): Promise<Kiln> {
  installErrorWire()
  const name = options.name ?? 'kiln'
  const clientId = crypto.randomUUID()
  const link = typeof SharedWorker === 'function'
    ? openSharedWorker(name, options.workerUrl)
    // No SharedWorker (Chrome for Android before 148, some WebViews): one tab runs the node in a
    // dedicated worker and relays the other tabs' calls (fallback.ts). The calls are the same.
    : openFallback({ name, clientId, workerUrl: options.workerUrl })
  const { api } = link
  let stopRenewal: (() => void) | undefined
  await holdTabLock(clientId)
  await api.hello(clientId)
  if (options.onClosed != null) await api.onClosed(Comlink.proxy(options.onClosed))
  if (options.peers != null && options.peers.length > 0) await api.addPeers(options.peers)
  return {
    create: async (o) => await api.create(o),
    update: async (id, change) => await api.update(id, change),
    load: async (ref) => await api.load(ref),
    history: async (id) => await api.history(id),
    query: async (query, page) => await api.query(query, page),
    exportCar: async (id) => await api.exportCar(id),
    importCar: async (bytes) => await api.importCar(bytes),
    pin: async (id) => { await api.pin(id) },
    unpin: async (id) => { await api.unpin(id) },
    stats: async () => await api.stats(),
    status: async () => await api.status(),
    addPeers: async (addrs) => { await api.addPeers(addrs) },
    async subscribe (target, listener) {
      const id = await api.subscribe(target, Comlink.proxy(listener))
      return async () => { await api.unsubscribe(id) }
    },
    sessions: async () => await api.sessions(),
    async signOut (account) {
      stopRenewal?.()
      await api.signOut(account)
    },
    async signIn (provider, signInOptions = {}) {
      const session = await signInWithEthereum(api, provider, signInOptions)
      stopRenewal?.()
      stopRenewal = scheduleRenewal(session, async () => await signInWithEthereum(api, provider, signInOptions), signInOptions)
      return session
    },
    session: async () => (await api.sessions()).find((s) => s.active),
    close () {
      stopRenewal?.()
      link.close()
    }
  }
}

function openSharedWorker (name: string, workerUrl?: string | URL): NodeLink {
  const options: WorkerOptions = { type: 'module', name: `kiln:${name}` }
  const worker = workerUrl != null
    ? new SharedWorker(workerUrl, options)
    : typeof __kilnScriptUrl === 'string'
      ? new SharedWorker(new URL('kiln-worker.js', __kilnScriptUrl), options)
      // Bundlers (and vite in development) see this pattern and ship the worker next to the code.
      : new SharedWorker(new URL('../../worker/kiln-worker.ts', import.meta.url), { type: 'module', name: `kiln:${name}` })
  const api = Comlink.wrap<KilnApi>(worker.port)
  return {
    api,
    close () {
      api[Comlink.releaseProxy]()
      worker.port.close()
    }
  }
}

/** Held for this tab's lifetime, so the worker can tell when the tab is gone (it cannot see tabs close). */
async function holdTabLock (clientId: string): Promise<void> {
  await new Promise<void>((acquired) => {
    void navigator.locks.request(`kiln-tab:${clientId}`, async () => {
      acquired()
      await new Promise(() => {})
    })
  })
}
