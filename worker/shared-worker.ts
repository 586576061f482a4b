/// <reference lib="webworker" />
// The SharedWorker entry: one Kiln node per origin, shared by every tab. No logic here.
import { serveClient, serveStartupFailure, startWorkerHost } from '../src/node/worker-host.js'

declare const self: SharedWorkerGlobalScope

// The page names the worker `kiln:<node name>`; one node (and database) per name.
const host = startWorkerHost({ mode: 'shared-worker', name: self.name.replace(/^kiln:/, '') || 'kiln' })

// Registered synchronously: a `connect` that arrives while the node starts must not be lost.
self.addEventListener('connect', (event) => {
  const port = event.ports[0]
  void host.then((h) => serveClient(h, port), (err: unknown) => { serveStartupFailure(err, port) })
})
