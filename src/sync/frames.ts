/**
 * Length-prefixed dag-cbor frames on a libp2p stream (the framing Recon uses is CBOR too):
 * `varint(length) || dag-cbor(value)`. Every read is bounded in frame size and frame count, so a
 * peer cannot make this node buffer more than it asked for.
 */
import type { Stream } from '@libp2p/interface'
import * as dagCbor from '@ipld/dag-cbor'
import { varint } from 'multiformats'
import { concat as concatAll } from 'uint8arrays'
import { KilnError, PeerUnavailableError, SyncProtocolError } from '../errors.js'

/** Frames here are at most a few MiB: four varint bytes (2^28) are plenty. */
const MAX_LENGTH_BYTES = 4

export function encodeFrame (value: unknown): Uint8Array {
  const body = dagCbor.encode(value)
  const prefix = varint.encodeTo(body.length, new Uint8Array(varint.encodingLength(body.length)))
  const frame = new Uint8Array(prefix.length + body.length)
  frame.set(prefix)
  frame.set(body, prefix.length)
  return frame
}

/**
 * Frames are sent in chunks of about this size rather than one by one: each send is a muxer frame,
 * an encrypted message, a socket write and (yamux acknowledges every data frame) a window update
 * back — per block answer, that was a third of a catch-up's CPU.
 */
const SEND_CHUNK_BYTES = 64 * 1024

/** Sends frames, waiting for the stream to drain when its buffer is full. */
export async function sendFrames (stream: Stream, values: unknown[], signal?: AbortSignal): Promise<void> {
  let chunk: Uint8Array[] = []
  let size = 0
  const flush = async (): Promise<void> => {
    const bytes = chunk.length === 1 ? chunk[0] : concatAll(chunk, size)
    chunk = []
    size = 0
    if (wasReset(stream)) throw resetError(stream)
    if (!stream.send(bytes)) await stream.onDrain({ signal })
  }
  for (const value of values) {
    const frame = encodeFrame(value)
    chunk.push(frame)
    size += frame.length
    if (size >= SEND_CHUNK_BYTES) await flush()
  }
  if (chunk.length > 0) await flush()
}

export interface ReadFramesOptions {
  maxFrameBytes: number
  maxFrames: number
  /**
   * What a stream that ends inside a frame means. A request cut short is malformed (the default):
   * a requester sends it whole, at once. An answer cut short is a peer that went away (hung up,
   * went offline, stopped) mid-answer: a PeerUnavailableError, not held against it.
   */
  cut?: 'malformed' | 'unavailable'
}

/** Yields decoded frames until the remote closes its side; refuses oversize or extra frames. */
export async function * readFrames (stream: Stream, options: ReadFramesOptions): AsyncGenerator<unknown> {
  let buffer: Uint8Array = new Uint8Array(0)
  let count = 0
  for await (const chunk of stream) {
    buffer = concat(buffer, chunk instanceof Uint8Array ? chunk : chunk.subarray())
    for (;;) {
      const header = readLength(buffer)
      if (header == null) break
      const [length, offset] = header
      if (length > options.maxFrameBytes) throw new SyncProtocolError(`A frame of ${length} bytes exceeds the ${options.maxFrameBytes}-byte limit`, { length, limit: options.maxFrameBytes })
      if (buffer.length < offset + length) break
      if (++count > options.maxFrames) throw new SyncProtocolError(`More than ${options.maxFrames} frames`, { limit: options.maxFrames })
      const body = buffer.subarray(offset, offset + length)
      buffer = buffer.subarray(offset + length)
      yield decodeBody(body)
    }
    // A peer that streams a frame's prefix and then bytes forever is cut at the first check above;
    // one that sends garbage with no valid prefix is cut here.
    if (buffer.length > options.maxFrameBytes + MAX_LENGTH_BYTES) throw new SyncProtocolError('Unframed bytes past the frame limit')
  }
  // A reset (by either side, or a dropped link) ends the iteration as quietly as a close does: a
  // short answer then says nothing about the peer, and must not count against it.
  if (wasReset(stream)) throw resetError(stream)
  if (buffer.length > 0) throw cutShort(options.cut, `The stream ended inside a frame (${buffer.length} bytes left)`)
}

/**
 * Reads exactly one frame (the remote must then close its side, or send nothing more). A stream
 * that ends before any byte arrives is a peer that went away (its connection closed under the
 * request), not a malformed message: an honest peer hanging up mid-request does just that.
 */
export async function readOneFrame (stream: Stream, maxFrameBytes: number, cut: ReadFramesOptions['cut'] = 'malformed'): Promise<unknown> {
  for await (const frame of readFrames(stream, { maxFrameBytes, maxFrames: 1, cut })) return frame
  throw cutShort('unavailable', 'The stream ended before a frame arrived')
}

/** The error for a stream that ended before its message did (see ReadFramesOptions.cut). */
export function cutShort (cut: ReadFramesOptions['cut'], message: string): Error {
  return cut === 'unavailable' ? new PeerUnavailableError(`${message}: the peer went away`) : new SyncProtocolError(message)
}

/**
 * Runs `work` on a stream under a deadline: on timeout or abort the stream is aborted (which ends
 * any pending read) and the failure is a PeerUnavailableError carrying the cause.
 */
export async function withDeadline<T> (stream: Stream, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
  const signal = outer == null ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)])
  const reason = (): string => outer?.aborted === true ? 'Sync stopped' : `No answer within ${timeoutMs} ms`
  const onAbort = (): void => { stream.abort(new PeerUnavailableError(reason(), { protocol: stream.protocol })) }
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await work(signal)
  } catch (err) {
    if (signal.aborted) throw new PeerUnavailableError(`${reason()} on ${stream.protocol}`, { protocol: stream.protocol }, { cause: err })
    // libp2p's own errors for writing to or closing a reset stream; Kiln's (a malformed frame) stand.
    if (wasReset(stream) && !(err instanceof KilnError)) throw resetError(stream, err)
    stream.abort(err instanceof Error ? err : new Error(String(err)))
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Closes this side of a request stream and reads the answer. The reader starts before the close:
 * a peer may answer and close its side while ours is still closing (over WebRTC it acknowledges
 * our close first), and a stream only tells readers that are listening when its remote end closes.
 */
export async function closeThenRead<T> (stream: Stream, signal: AbortSignal, read: () => Promise<T>): Promise<T> {
  const answer = read()
  try {
    await stream.close({ signal })
  } catch (err) {
    answer.catch(() => {})
    throw err
  }
  return await answer
}

/** Reset by either side (a dropped link, a deadline, a peer shedding load), not closed. */
const wasReset = (stream: Stream): boolean => stream.status === 'reset' || stream.status === 'aborted'
const resetError = (stream: Stream, cause?: unknown): Error =>
  new PeerUnavailableError(`The ${stream.protocol} stream was reset`, { protocol: stream.protocol, status: stream.status }, cause == null ? undefined : { cause })

function readLength (buffer: Uint8Array): [length: number, offset: number] | undefined {
  for (let i = 0; i < Math.min(buffer.length, MAX_LENGTH_BYTES); i++) {
    if ((buffer[i] & 0x80) === 0) {
      try {
        const [length, bytes] = varint.decode(buffer)
        return [length, bytes]
      } catch (err) {
        // The decoder refuses a varint with a redundant zero group (`80 00`): the peer's bad prefix.
        throw new SyncProtocolError('Frame length prefix is not a minimal varint', undefined, { cause: err })
      }
    }
  }
  if (buffer.length >= MAX_LENGTH_BYTES) throw new SyncProtocolError('Frame length prefix is too long')
  return undefined
}

function decodeBody (body: Uint8Array): unknown {
  try {
    return dagCbor.decode(body)
  } catch (err) {
    throw new SyncProtocolError('A frame is not valid dag-cbor', undefined, { cause: err })
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}
