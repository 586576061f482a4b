/**
 * How a tab reaches the worker that runs its node: the SharedWorker's port, or (fallback.ts) the
 * dedicated worker a leader tab owns. Both come from the same bundle, kiln-worker.js.
 */
import * as Comlink from 'comlink'
import type { WorkerApi } from '../api/calls.js'
import { workerName } from '../api/names.js'
import type { RtcHostCall } from '../api/rtc-bridge.js'

/** Set by the script-tag (IIFE) build: the URL of kiln.iife.js, to find kiln-worker.js next to it. */
declare const __kilnScriptUrl: string | undefined

/** The node's calls as this tab reaches them, over whichever transport; listeners stay in the page. */
export interface NodeLink {
  api: WorkerApi
  /** Ends this client's connection (its subscriptions and slot in the node), then the transport. */
  close: () => Promise<void>
  /** Hands the worker a port on which this tab hosts its WebRTC peer connections (client/rtc-host.ts). */
  hostPeerConnections?: (port: MessagePort) => Promise<void>
}

export function openSharedWorker (name: string, workerUrl?: string | URL): NodeLink {
  const named = workerName(name)
  const worker = workerUrl != null
    ? new SharedWorker(workerUrl, { type: 'module', name: named })
    : typeof __kilnScriptUrl === 'string'
      ? new SharedWorker(new URL('kiln-worker.js', __kilnScriptUrl), { type: 'module', name: named })
      // Bundlers (and vite in development) see this pattern and ship the worker next to the code.
      : new SharedWorker(new URL('../../worker/kiln-worker.ts', import.meta.url), { type: 'module', name: named })
  const api = Comlink.wrap<WorkerApi & RtcHostCall>(worker.port)
  return {
    api,
    async hostPeerConnections (port) { await api.hostPeerConnections(Comlink.transfer(port, [port])) },
    async close () {
      await api.bye()
      api[Comlink.releaseProxy]()
      worker.port.close()
    }
  }
}

export function openDedicatedWorker (name: string, workerUrl?: string | URL): Worker {
  const named = workerName(name)
  if (workerUrl != null) return new Worker(workerUrl, { type: 'module', name: named })
  if (typeof __kilnScriptUrl === 'string') return new Worker(new URL('kiln-worker.js', __kilnScriptUrl), { type: 'module', name: named })
  // Bundlers (and vite in development) see this pattern and ship the worker next to the code.
  return new Worker(new URL('../../worker/kiln-worker.ts', import.meta.url), { type: 'module', name: named })
}
