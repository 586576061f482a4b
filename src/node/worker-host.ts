import * as Comlink from 'comlink'
import { installErrorWire } from '../client/wire.js'
import { loadDeviceSigner } from '../identity/device-key.js'
import { createIdbStore } from '../store/idb-store.js'
import { type ClientConnection, type NodeHost, type NodeMode, announceClosed, createClientConnection } from './api.js'
import { createStreamNode } from './stream-node.js'

export interface WorkerHostInit {
  mode: NodeMode
  /** IndexedDB database name (one node per name per origin). */
  name?: string
}

/**
 * The browser node: a StreamNode on IndexedDB, signing with this browser's device key, serving
 * every client that connects. Used by the SharedWorker and by the dedicated-worker fallback.
 */
export async function startWorkerHost (init: WorkerHostInit): Promise<NodeHost> {
  installErrorWire()
  let host: NodeHost | undefined
  const store = await createIdbStore({
    name: init.name ?? 'kiln',
    // A newer Kiln upgraded the database in another tab: stop, and tell every page why.
    onClosed: (error) => { if (host != null) announceClosed(host, error) }
  })
  const signer = await loadDeviceSigner()
  host = { node: createStreamNode({ store, signer }), mode: init.mode, storage: 'indexeddb', clients: new Set() }
  return host
}

/** Serves one client over a MessagePort; its subscriptions end when the client's tab lock frees. */
export function serveClient (host: NodeHost, port: MessagePort): ClientConnection {
  const connection = createClientConnection(host, (clientId, gone) => {
    // The page holds this lock for its lifetime; we get it only once the page is gone.
    void navigator.locks.request(`kiln-tab:${clientId}`, async () => { gone() })
  })
  Comlink.expose(connection.api, port)
  return connection
}

/** When the node cannot start (store locked, newer schema…), every call reports that error, typed. */
export function serveStartupFailure (error: unknown, port: MessagePort): void {
  installErrorWire()
  const failing = new Proxy({}, { get: () => async () => { throw error } })
  Comlink.expose(failing, port)
}
