/**
 * The answering side of Kiln's one-request protocols (blocks, heads): read one request frame within
 * REQUEST_FRAME_TIMEOUT_MS, hold a malformed one against the sender, refuse one over the sender's
 * rate with `{ error: 'rate-limited' }`, otherwise send the answer frames and close. A peer that
 * opens too many streams, sends no request in time, or keeps asking for what is not here is
 * charged for it (peer-score.ts). Failures are logged, never thrown: one peer's bad request must
 * not disturb the node.
 */
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'
import { PeerUnavailableError, RateLimitedError, SyncProtocolError } from '../errors.js'
import { REQUEST_FRAME_TIMEOUT_MS } from './constants.js'
import { readOneFrame, sendFrames, withDeadline } from './frames.js'
import { handleLimited } from './inbound-streams.js'
import type { PeerScore, RequestKind } from './peer-score.js'

export interface RequestService<Request> {
  protocol: string
  /** The rate limit the request counts against. */
  kind: Exclude<RequestKind, 'updates' | 'faults'>
  timeoutMs: number
  maxRequestBytes: number
  /** Streams one peer may have open at once (inbound-streams.ts). */
  maxStreamsPerPeer: number
  /** Checks a request frame; throws SyncProtocolError for a malformed one. */
  parse: (frame: unknown) => Request
  /** The frames that answer a well-formed request within the sender's rate. */
  answer: (request: Request) => Promise<unknown[]>
  /** Whether an answer gave nothing of what was asked (every block missing): charged as a refused request. */
  isEmpty: (request: Request, frames: unknown[]) => boolean
}

export interface ServeRequestsInit {
  libp2p: Libp2p
  score: PeerScore
  log: Logger
}

/** Answers `service`'s requests; returns a function that stops answering. */
export async function serveRequests<Request> (init: ServeRequestsInit, service: RequestService<Request>): Promise<() => Promise<void>> {
  const { libp2p, score, log } = init
  const readRequest = async (stream: Stream, connection: Connection): Promise<Request> => {
    const peer = connection.remotePeer.toString()
    try {
      return await withDeadline(stream, REQUEST_FRAME_TIMEOUT_MS, async () => service.parse(await readOneFrame(stream, service.maxRequestBytes)))
    } catch (err) {
      if (err instanceof SyncProtocolError) score.penalize(peer, 'malformed-message', err.message)
      // withDeadline's own error: the peer opened the stream and sent no request in time.
      else if (err instanceof PeerUnavailableError) score.charge(peer, 'slow-stream', `no ${service.kind} request within ${REQUEST_FRAME_TIMEOUT_MS} ms`)
      // Reset by the peer before its request, its connection still up: opened only to be thrown away.
      else if (connection.status === 'open') score.charge(peer, 'stream-flood', `a ${service.kind} stream reset before its request`)
      throw err
    }
  }
  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    try {
      const request = await readRequest(stream, connection)
      await withDeadline(stream, service.timeoutMs, async (signal) => {
        let frames: unknown[]
        try {
          await score.admit(peer, service.kind)
          frames = await service.answer(request)
          if (service.isEmpty(request, frames)) score.charge(peer, 'refused-request', `a ${service.kind} request for nothing held here`)
        } catch (err) {
          if (!(err instanceof RateLimitedError)) throw err
          frames = [{ error: 'rate-limited' }]
        }
        await sendFrames(stream, frames, signal)
        await stream.close({ signal })
      })
    } catch (err) {
      log('%s request from %s failed: %s', service.kind, peer, (err as Error).message)
    }
  }
  await handleLimited({ libp2p, score, protocol: service.protocol, maxPerPeer: service.maxStreamsPerPeer, handler })
  return async () => { await libp2p.unhandle(service.protocol) }
}
