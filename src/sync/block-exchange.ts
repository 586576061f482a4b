/**
 * `/kiln/blocks/1.1.0`: fetch blocks by CID from one peer. One request per stream:
 *   → frame `{ cids: string[] }` (at most MAX_CIDS_PER_REQUEST), then the asker closes its side
 *   ← one frame per CID, in order: `{ bytes }`, `{ missing: true }` or `{ later: true }` (past the
 *     answer's MAX_BLOCK_ANSWER_BYTES: ask again; never the first frame); or one `{ error }` frame
 * `/kiln/blocks/1.0.0`, still served, is the same with at most 32 CIDs and no `later`. A node asks
 * 1.1.0 of a peer whose identify lists it, 1.0.0 of any other.
 * Frames are length-prefixed dag-cbor (frames.ts). A block is at most 256 KB (Ceramic's cap).
 * The answering side serves only what `lookup` has: blocks the node stored after verifying them.
 */
import type { Libp2p, PeerId, Stream, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { CID as CIDClass } from 'multiformats/cid'
import type { BlockSource } from '../commits/block.js'
import { MAX_COMMIT_BLOCK_BYTES } from '../commits/decode.js'
import {
  BLOCKS_PROTOCOL, BLOCKS_PROTOCOL_1_0, BLOCK_REQUESTS_IN_FLIGHT, BLOCK_REQUEST_TIMEOUT_MS, MAX_BLOCK_ANSWER_BYTES, MAX_BLOCK_FRAME_BYTES,
  MAX_BLOCK_REQUEST_BYTES, MAX_BLOCK_REQUEST_BYTES_1_0, MAX_BLOCK_STREAMS_PER_PEER, MAX_CIDS_PER_REQUEST, MAX_CIDS_PER_REQUEST_1_0
} from './constants.js'
import { PeerUnavailableError, RateLimitedError, SyncProtocolError } from '../errors.js'
import { closeThenRead, cutShort, readFrames, sendFrames, withDeadline } from './frames.js'
import { serveRequests } from './serve-requests.js'
import type { PeerScore } from './peer-score.js'

/** One version of the block protocol and its limits. */
export interface BlockProtocol { id: string, maxCids: number, maxRequestBytes: number, maxAnswerBytes: number }
export const BLOCKS_1_1: BlockProtocol = { id: BLOCKS_PROTOCOL, maxCids: MAX_CIDS_PER_REQUEST, maxRequestBytes: MAX_BLOCK_REQUEST_BYTES, maxAnswerBytes: MAX_BLOCK_ANSWER_BYTES }
export const BLOCKS_1_0: BlockProtocol = { id: BLOCKS_PROTOCOL_1_0, maxCids: MAX_CIDS_PER_REQUEST_1_0, maxRequestBytes: MAX_BLOCK_REQUEST_BYTES_1_0, maxAnswerBytes: Infinity }

export type BlockLookup = (cid: string) => Promise<Uint8Array | undefined>

type BlockResponse = { bytes: Uint8Array } | { missing: true } | { later: true } | { error: string }
/** What a peer answered for one CID: the block's bytes (unchecked yet), or why not. */
export type BlockAnswer = Uint8Array | 'missing' | 'later'

export interface ServeBlocksInit {
  libp2p: Libp2p
  lookup: BlockLookup
  score: PeerScore
  log: Logger
}

/** Answers block requests in every version; returns a function that stops answering. */
export async function serveBlocks (init: ServeBlocksInit): Promise<() => Promise<void>> {
  const stops = await Promise.all([BLOCKS_1_1, BLOCKS_1_0].map(async (protocol) => await serveRequests(init, {
    protocol: protocol.id,
    kind: 'blocks',
    timeoutMs: BLOCK_REQUEST_TIMEOUT_MS,
    maxRequestBytes: protocol.maxRequestBytes,
    maxStreamsPerPeer: MAX_BLOCK_STREAMS_PER_PEER,
    parse: (frame) => parseRequest(frame, protocol),
    answer: async (cids) => await answer(init.lookup, cids, protocol.maxAnswerBytes),
    isEmpty: (_cids, frames) => frames.every((frame) => 'missing' in (frame as BlockResponse))
  })))
  return async () => { await Promise.all(stops.map(async (stop) => { await stop() })) }
}

/** The answer frames: blocks read MAX_CIDS_PER_REQUEST_1_0 at a time, until the answer holds `maxBytes`. */
async function answer (lookup: BlockLookup, cids: string[], maxBytes: number): Promise<BlockResponse[]> {
  const frames: BlockResponse[] = []
  let bytes = 0
  for (let i = 0; i < cids.length; i += MAX_CIDS_PER_REQUEST_1_0) {
    if (bytes >= maxBytes) {
      frames.push(...cids.slice(i).map((): BlockResponse => ({ later: true })))
      break
    }
    // Read together: a disk store serves concurrent reads from its thread pool, one after another
    // each would wait its own round trip to it.
    const found = await Promise.all(cids.slice(i, i + MAX_CIDS_PER_REQUEST_1_0).map(async (cid) => await lookup(cid)))
    for (const block of found) {
      bytes += block?.length ?? 0
      frames.push(block == null ? { missing: true } : { bytes: block })
    }
  }
  return frames
}

/** Fetches blocks from `peer` in one request of `protocol` (1.0.0, which every node speaks, by default). */
export async function requestBlocks (libp2p: Libp2p, peer: PeerId, cids: string[], signal?: AbortSignal, protocol = BLOCKS_1_0): Promise<BlockAnswer[]> {
  if (cids.length > protocol.maxCids) throw new RangeError(`At most ${protocol.maxCids} CIDs per ${protocol.id} request`)
  const stream = await openStream(libp2p, peer, protocol.id, signal)
  return await withDeadline(stream, BLOCK_REQUEST_TIMEOUT_MS, async (deadline) => {
    await sendFrames(stream, [{ cids }], deadline)
    const out = await closeThenRead(stream, deadline, async () => {
      const answers: BlockAnswer[] = []
      for await (const frame of readFrames(stream, { maxFrameBytes: MAX_BLOCK_FRAME_BYTES, maxFrames: cids.length, cut: 'unavailable' })) {
        const response = parseResponse(frame)
        if ('error' in response) {
          throw response.error === 'rate-limited'
            ? new RateLimitedError(`Peer ${peer.toString()} is rate-limiting block requests`, { peer: peer.toString() })
            : new PeerUnavailableError(`Peer ${peer.toString()} refused a block request: ${response.error.slice(0, 200)}`, { peer: peer.toString() })
        }
        // Each answer makes progress: one that puts everything off could be asked again forever.
        if ('later' in response && answers.length === 0) throw new SyncProtocolError('A block answer cannot put off its first block')
        answers.push('bytes' in response ? response.bytes : 'later' in response ? 'later' : 'missing')
      }
      return answers
    })
    if (out.length !== cids.length) throw cutShort('unavailable', `Asked for ${cids.length} blocks, got ${out.length} answers`)
    return out
  }, signal)
}

/**
 * Fetches many blocks from `peer`, as many per request as its protocol version takes, with a few
 * requests in flight (blocks put off till later are asked again); returns the ones it had. Bytes
 * are not checked here: whoever decodes them checks them (loadCommit).
 */
export async function fetchBlocks (libp2p: Libp2p, peer: PeerId, cids: string[], signal?: AbortSignal): Promise<Map<string, Uint8Array>> {
  let protocol = await blockProtocolOf(libp2p, peer)
  const found = new Map<string, Uint8Array>()
  const wanted = [...cids]
  const worker = async (): Promise<void> => {
    for (let next = wanted.splice(0, protocol.maxCids); next.length > 0; next = wanted.splice(0, protocol.maxCids)) {
      const asked = protocol
      let answers: BlockAnswer[]
      try {
        answers = await requestBlocks(libp2p, peer, next, signal, asked)
      } catch (err) {
        // The peer's list is a hint: libp2p adds the protocol of any stream a peer opens here, and a
        // node may ask in 1.1.0 yet serve only 1.0.0. Then 1.0.0 it is, which every node serves.
        if (asked !== BLOCKS_1_1 || !isNotSpoken(err)) throw err
        protocol = BLOCKS_1_0
        wanted.push(...next)
        continue
      }
      answers.forEach((answer, i) => {
        if (answer instanceof Uint8Array) found.set(next[i], answer)
        else if (answer === 'later') wanted.push(next[i])
      })
    }
  }
  // Blocks put off by a request still in flight are asked for after it, by a fresh set of workers.
  while (wanted.length > 0) {
    await Promise.all(Array.from({ length: Math.min(BLOCK_REQUESTS_IN_FLIGHT, Math.ceil(wanted.length / protocol.maxCids)) }, worker))
  }
  return found
}

const isNotSpoken = (err: unknown): boolean => (err as { cause?: { name?: unknown } }).cause?.name === 'UnsupportedProtocolError'

/** 1.1.0 if the peer told this node (identify) that it speaks it, else 1.0.0. */
async function blockProtocolOf (libp2p: Libp2p, peer: PeerId): Promise<BlockProtocol> {
  try {
    return (await libp2p.peerStore.get(peer)).protocols.includes(BLOCKS_1_1.id) ? BLOCKS_1_1 : BLOCKS_1_0
  } catch {
    return BLOCKS_1_0 // not in the peer store (yet)
  }
}

/**
 * A BlockSource for `node.ingest` that reads `prefetched` blocks first and fetches any other
 * block from one peer.
 */
export function blocksFrom (libp2p: Libp2p, peer: PeerId, signal?: AbortSignal, prefetched?: Map<string, Uint8Array>): BlockSource {
  return async (cid: CID) => {
    const held = prefetched?.get(cid.toString())
    if (held != null) return held
    const [answer] = await requestBlocks(libp2p, peer, [cid.toString()], signal)
    return answer instanceof Uint8Array ? answer : undefined
  }
}

/** Opens a protocol stream to a peer (reusing its connection); failures become PeerUnavailableError. */
export async function openStream (libp2p: Libp2p, peer: PeerId, protocol: string, signal?: AbortSignal): Promise<Stream> {
  const timeout = AbortSignal.timeout(BLOCK_REQUEST_TIMEOUT_MS)
  try {
    return await libp2p.dialProtocol(peer, protocol, { signal: signal == null ? timeout : AbortSignal.any([signal, timeout]) })
  } catch (err) {
    throw new PeerUnavailableError(`Cannot open ${protocol} to ${peer.toString()}: ${(err as Error).message}`, { peer: peer.toString(), protocol }, { cause: err })
  }
}

/** Checks a block request frame (exported for the fuzz suite); SyncProtocolError when malformed. */
export function parseRequest (frame: unknown, protocol = BLOCKS_1_1): string[] {
  const cids = (frame as { cids?: unknown } | null)?.cids
  if (!Array.isArray(cids) || cids.length === 0 || cids.length > protocol.maxCids) {
    throw new SyncProtocolError(`A ${protocol.id} request needs \`cids\`: 1 to ${protocol.maxCids} CID strings`)
  }
  return cids.map((cid) => {
    if (typeof cid !== 'string') throw new SyncProtocolError('A requested CID must be a string')
    try {
      return CIDClass.parse(cid).toString()
    } catch (err) {
      throw new SyncProtocolError('A requested CID does not parse', { cid: cid.slice(0, 100) }, { cause: err })
    }
  })
}

/** Checks one block answer frame (exported for the fuzz suite); SyncProtocolError when malformed. */
export function parseResponse (frame: unknown): BlockResponse {
  if (frame == null || typeof frame !== 'object') throw new SyncProtocolError('A block answer must be a map')
  const { bytes, missing, later, error } = frame as Record<string, unknown>
  if (bytes instanceof Uint8Array) {
    if (bytes.length > MAX_COMMIT_BLOCK_BYTES) throw new SyncProtocolError(`A block of ${bytes.length} bytes exceeds ${MAX_COMMIT_BLOCK_BYTES}`)
    return { bytes }
  }
  if (missing === true) return { missing: true }
  if (later === true) return { later: true }
  if (typeof error === 'string') return { error }
  throw new SyncProtocolError('A block answer needs `bytes`, `missing`, `later` or `error`')
}
