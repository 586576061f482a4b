/// <reference lib="webworker" />
// The worker entry, one bundle for both kinds of worker (no logic here):
// - as a SharedWorker, one node per origin that every tab connects to;
// - as a dedicated Worker (browsers without SharedWorker), owned by the leader tab, which hands it
//   one MessagePort per tab (`{ kilnConnect: port }`) and one on which it hosts the worker's WebRTC
//   peer connections (`{ kilnRtcHost: port }`); see src/client/fallback.ts.
import { nodeNameOf } from '../src/api/names.js'
import type { NodeHost } from '../src/host/serve.js'
import { hostPeerConnectionsFor, serveClient, serveStartupFailure, startWorkerHost, startWorkerHostAfterHandover } from '../src/host/worker-host.js'

// The page names the worker after its node; one node (and one database) per name.
const name = nodeNameOf(self.name)
const shared = 'onconnect' in self

const host: Promise<NodeHost> = shared
  ? startWorkerHost({ mode: 'shared-worker', name })
  : startWorkerHostAfterHandover({ mode: 'dedicated-worker', name })

const serve = (port: MessagePort): void => {
  void host.then((h) => { serveClient(h, port) }, (err: unknown) => { serveStartupFailure(err, port) })
}

// Registered synchronously: a connection that arrives while the node starts must not be lost.
if (shared) {
  self.addEventListener('connect', (event) => { serve((event as MessageEvent).ports[0]) })
} else {
  self.addEventListener('message', (event: MessageEvent<{ kilnConnect?: MessagePort, kilnRtcHost?: MessagePort }>) => {
    if (event.data?.kilnConnect != null) serve(event.data.kilnConnect)
    const rtcHost = event.data?.kilnRtcHost
    if (rtcHost != null) void host.then((h) => { hostPeerConnectionsFor(h, rtcHost) }, () => {})
  })
}
