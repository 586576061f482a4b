import { leaderLock, relayChannel } from '../api/names.js'
import { createRelayClient } from './relay-client.js'
import { type RtcHostOptions, hostPeerConnections } from './rtc-host.js'
import { type Leader, startLeader } from './relay-leader.js'
import { type RelayMessage, isRelayMessage } from './relay-protocol.js'
import { type NodeLink, openDedicatedWorker } from './worker-link.js'

export interface FallbackInit {
  name: string
  /** This tab's client id; connect() holds the Web Lock `kiln-tab:<clientId>` for the tab's lifetime. */
  clientId: string
  /** The worker bundle, when it is not the one shipped next to this library. */
  workerUrl?: string | URL
  /** What the leader's tab hosts peer connections with (connect()'s `iceServers`). */
  rtc?: RtcHostOptions
}

/**
 * The node where SharedWorker does not exist (Chrome for Android before 148, some WebViews).
 *
 * One tab leads: it holds the Web Lock `kiln-leader:<name>` for its lifetime and runs the node in
 * a dedicated Worker it owns. Every tab, the leader's own included, sends its calls as relay
 * messages (relay-protocol.ts) to the leader, which makes them on a MessagePort of that tab's
 * own to the worker: over the BroadcastChannel `kiln-relay:<name>` from other tabs, in memory from
 * itself. The other tabs queue on the leader lock; when the leading tab closes, its worker dies
 * with it, the lock passes to one of them, and that tab starts the node on the same IndexedDB
 * (its worker waits for the old one's store lock, so there is never a second writer) and
 * announces itself; every tab then re-sends its subscriptions and unanswered calls
 * (relay-client.ts).
 */
export function openFallback ({ name, clientId, workerUrl, rtc }: FallbackInit): NodeLink {
  const channel = new BroadcastChannel(relayChannel(name))
  const resign = new AbortController()
  let leader: Leader | undefined
  let since = 0

  // Messages for this tab stay in memory (a BroadcastChannel never delivers to its sender). Later
  // in a microtask, as a channel message would be, so no handler runs inside another one.
  const send = (message: RelayMessage): void => {
    if ('to' in message && message.to === clientId) queueMicrotask(() => { receive(message) })
    else channel.postMessage(message)
  }
  const client = createRelayClient({ clientId, send })

  const receive = (message: RelayMessage): void => {
    switch (message.kind) {
      case 'who':
        if (leader != null) channel.postMessage({ kind: 'leader', from: clientId, since })
        return
      case 'leader':
        client.leaderIs(message.from, message.since)
        return
      case 'call':
        if (message.to === clientId) leader?.handle(message)
        return
      default:
        if (message.to === clientId) client.handle(message)
    }
  }
  channel.addEventListener('message', (event: MessageEvent<unknown>) => { if (isRelayMessage(event.data)) receive(event.data) })

  // Granted at once to the first tab, later to one waiting tab when the leader's tab closes. Held
  // until this tab closes: the lock is what tells the others that the leader is gone.
  navigator.locks.request(leaderLock(name), { signal: resign.signal }, async () => {
    const worker = openDedicatedWorker(name, workerUrl)
    // The worker has no RTCPeerConnection; the tab that owns it makes them, for as long as it leads.
    if (typeof RTCPeerConnection === 'function') {
      const { port1, port2 } = new MessageChannel()
      worker.postMessage({ kilnRtcHost: port2 }, [port2])
      hostPeerConnections(port1, rtc)
    }
    const openPort = (): MessagePort => {
      const { port1, port2 } = new MessageChannel()
      worker.postMessage({ kilnConnect: port2 }, [port2])
      return port1
    }
    leader = startLeader({ clientId, openPort, send })
    since = performance.timeOrigin + performance.now()
    client.leaderIs(clientId, since)
    channel.postMessage({ kind: 'leader', from: clientId, since })
    await new Promise(() => {})
  }).catch((err: unknown) => {
    // Closed before it was this tab's turn to lead: nothing to report.
    if (!resign.signal.aborted) reportError(err)
  })
  // A leader may already be running: ask it to introduce itself.
  channel.postMessage({ kind: 'who', from: clientId })

  return {
    api: client.api,
    async close () {
      await client.api.bye()
      // A leading tab keeps serving the other tabs until it closes; a follower leaves entirely.
      if (leader == null) {
        resign.abort()
        channel.close()
      }
    }
  }
}
