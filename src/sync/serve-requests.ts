/**
 * The answering side of Kiln's one-request protocols (blocks, heads): read one request frame within
 * a deadline, hold a malformed one against the sender, refuse one over the sender's rate with
 * `{ error: 'rate-limited' }`, otherwise send the answer frames and close. Failures are logged,
 * never thrown: one peer's bad request must not disturb the node.
 */
import type { Connection, Libp2p, Logger, Stream } from '@libp2p/interface'
import { RateLimitedError, SyncProtocolError } from '../errors.js'
import { readOneFrame, sendFrames, withDeadline } from './frames.js'
import type { PeerScore, RequestKind } from './peer-score.js'

export interface RequestService<Request> {
  protocol: string
  /** The rate limit the request counts against. */
  kind: Exclude<RequestKind, 'updates'>
  timeoutMs: number
  maxRequestBytes: number
  maxInboundStreams: number
  /** Checks a request frame; throws SyncProtocolError for a malformed one. */
  parse: (frame: unknown) => Request
  /** The frames that answer a well-formed request within the sender's rate. */
  answer: (request: Request) => Promise<unknown[]>
}

export interface ServeRequestsInit {
  libp2p: Libp2p
  score: PeerScore
  log: Logger
}

/** Answers `service`'s requests; returns a function that stops answering. */
export async function serveRequests<Request> (init: ServeRequestsInit, service: RequestService<Request>): Promise<() => Promise<void>> {
  const { libp2p, score, log } = init
  const handler = async (stream: Stream, connection: Connection): Promise<void> => {
    const peer = connection.remotePeer.toString()
    try {
      await withDeadline(stream, service.timeoutMs, async (signal) => {
        let request: Request
        try {
          request = service.parse(await readOneFrame(stream, service.maxRequestBytes))
        } catch (err) {
          if (err instanceof SyncProtocolError) score.penalize(peer, 'malformed-message', err.message)
          throw err
        }
        let frames: unknown[]
        try {
          await score.admit(peer, service.kind)
          frames = await service.answer(request)
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
  await libp2p.handle(service.protocol, handler, { maxInboundStreams: service.maxInboundStreams })
  return async () => { await libp2p.unhandle(service.protocol) }
}
