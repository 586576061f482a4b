import * as Comlink from 'comlink'
import type { KilnErrorLike } from '../errors.js'
import type { KilnApi, NodeStatus } from '../node/api.js'
import type { StreamSnapshot } from '../node/snapshot.js'
import type { CreateOptions, HistoryEntry, NodeStats, UpdateOptions } from '../node/stream-node.js'
import type { Page, PageRequest, StreamQuery } from '../store/store.js'
import { installErrorWire } from './wire.js'

/** Set by the script-tag (IIFE) build: the URL of kiln.iife.js, to find kiln-worker.js next to it. */
declare const __kilnScriptUrl: string | undefined

export interface ConnectOptions {
  /** Where the worker bundle is; defaults to the one shipped next to this library. */
  workerUrl?: string | URL
  /** Node name: one node (and one IndexedDB database) per name per origin. */
  name?: string
  /** Called if the node's store is closed underneath it (a newer Kiln took over in another tab). */
  onClosed?: (error: KilnErrorLike) => void
}

/** A tab's handle on the origin's node. Every call runs in the worker; errors arrive typed. */
export interface Kiln {
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
  /** Calls `listener` in this tab whenever a matching stream changes, from any tab or peer. */
  subscribe: (target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void) => Promise<() => Promise<void>>
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
  const port = openWorkerPort(name, options.workerUrl)
  const api = Comlink.wrap<KilnApi>(port)
  const clientId = crypto.randomUUID()
  await holdTabLock(clientId)
  await api.hello(clientId)
  if (options.onClosed != null) await api.onClosed(Comlink.proxy(options.onClosed))
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
    async subscribe (target, listener) {
      const id = await api.subscribe(target, Comlink.proxy(listener))
      return async () => { await api.unsubscribe(id) }
    },
    close () {
      api[Comlink.releaseProxy]()
      port.close()
    }
  }
}

function openWorkerPort (name: string, workerUrl?: string | URL): MessagePort {
  if (typeof SharedWorker !== 'function') {
    throw new Error('SharedWorker is not available here (the dedicated-worker fallback is not built yet)')
  }
  const options: WorkerOptions = { type: 'module', name: `kiln:${name}` }
  const worker = workerUrl != null
    ? new SharedWorker(workerUrl, options)
    : typeof __kilnScriptUrl === 'string'
      ? new SharedWorker(new URL('kiln-worker.js', __kilnScriptUrl), options)
      // Bundlers (and vite in development) see this pattern and ship the worker next to the code.
      : new SharedWorker(new URL('../../worker/shared-worker.ts', import.meta.url), { type: 'module', name: `kiln:${name}` })
  return worker.port
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
