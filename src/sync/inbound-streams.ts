/**
 * Kiln's own per-peer limit on the inbound streams of a protocol open at once. libp2p resets a
 * stream past a handler's `maxInboundStreams` before the handler sees it, so a peer could open
 * streams by the thousand for free; libp2p's limit is therefore set STREAM_LIMIT_HEADROOM times
 * above Kiln's, and a stream past Kiln's limit is charged to its peer ('stream-flood') and reset.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { RateLimitedError } from '../errors.js'
import { STREAM_LIMIT_HEADROOM } from './constants.js'
import type { PeerScore } from './peer-score.js'

export interface LimitedHandlerInit {
  libp2p: Libp2p
  score: PeerScore
  protocol: string
  /** Streams of `protocol` one peer may have open here at once, over all its connections. */
  maxPerPeer: number
  handler: (stream: Stream, connection: Connection) => Promise<void>
}

/** Handles `protocol` with the per-peer limit; libp2p.unhandle(protocol) stops it. */
export async function handleLimited (init: LimitedHandlerInit): Promise<void> {
  const { libp2p, score, protocol, maxPerPeer, handler } = init
  // Only peers with a stream open are remembered, so the map is as large as the open streams.
  const open = new Map<string, number>()
  await libp2p.handle(protocol, async (stream, connection) => {
    const peer = connection.remotePeer.toString()
    const count = open.get(peer) ?? 0
    if (count >= maxPerPeer) {
      score.charge(peer, 'stream-flood', `more than ${maxPerPeer} ${protocol} streams open`)
      stream.abort(new RateLimitedError(`Too many ${protocol} streams open`, { protocol, limit: maxPerPeer }))
      return
    }
    open.set(peer, count + 1)
    try {
      await handler(stream, connection)
    } finally {
      const left = (open.get(peer) ?? 1) - 1
      if (left > 0) open.set(peer, left)
      else open.delete(peer)
    }
  }, { maxInboundStreams: maxPerPeer * STREAM_LIMIT_HEADROOM })
}
