/**
 * `/kiln/blocks/1.0.0`: fetch blocks by CID from one peer. One request per stream:
 *   → frame `{ cids: string[] }` (at most MAX_CIDS_PER_REQUEST), then the asker closes its side
 *   ← one frame per CID, in order: `{ bytes }` or `{ missing: true }`; or one `{ error }` frame
 * Frames are length-prefixed dag-cbor (frames.ts). A block is at most 256 KB (Ceramic's cap).
 * The answering side serves only what `lookup` has: blocks the node stored after verifying them.
 */
import type { Libp2p, PeerId, Stream, Logger } from '@libp2p/interface'
import type { CID } from 'multiformats/cid'
import { CID as CIDClass } from 'multiformats/cid'
import type { BlockSource } from '../commits/block.js'
import { MAX_COMMIT_BLOCK_BYTES } from '../commits/decode.js'
import {
  BLOCKS_PROTOCOL, BLOCK_REQUESTS_IN_FLIGHT, BLOCK_REQUEST_TIMEOUT_MS, MAX_BLOCK_FRAME_BYTES, MAX_BLOCK_REQUEST_BYTES, MAX_BLOCK_STREAMS_PER_PEER, MAX_CIDS_PER_REQUEST
} from './constants.js'
import { PeerUnavailableError, RateLimitedError, SyncProtocolError } from '../errors.js'
import { closeThenRead, cutShort, readFrames, sendFrames, withDeadline } from './frames.js'
import { serveRequests } from './serve-requests.js'
import type { PeerScore } from './peer-score.js'

export type BlockLookup = (cid: string) => Promise<Uint8Array | undefined>

type BlockResponse = { bytes: Uint8Array } | { missing: true } | { error: string }

export interface ServeBlocksInit {
  libp2p: Libp2p
  lookup: BlockLookup
  score: PeerScore
  log: Logger
}

/** Answers block requests; returns a function that stops answering. */
export async function serveBlocks (init: ServeBlocksInit): Promise<() => Promise<void>> {
  return await serveRequests(init, {
    protocol: BLOCKS_PROTOCOL,
    kind: 'blocks',
    timeoutMs: BLOCK_REQUEST_TIMEOUT_MS,
    maxRequestBytes: MAX_BLOCK_REQUEST_BYTES,
    maxStreamsPerPeer: MAX_BLOCK_STREAMS_PER_PEER,
    parse: parseRequest,
    async answer (cids) {
      // Read together: a disk store serves concurrent reads from its thread pool, one after another
      // each would wait its own round trip to it.
      const found = await Promise.all(cids.map(async (cid) => await init.lookup(cid)))
      return found.map((bytes): BlockResponse => bytes == null ? { missing: true } : { bytes })
    },
    isEmpty: (_cids, frames) => frames.every((frame) => 'missing' in (frame as BlockResponse))
  })
}

/** Fetches blocks from `peer`: bytes per CID in order, undefined where the peer lacks one. */
export async function requestBlocks (libp2p: Libp2p, peer: PeerId, cids: string[], signal?: AbortSignal): Promise<Array<Uint8Array | undefined>> {
  if (cids.length > MAX_CIDS_PER_REQUEST) throw new RangeError(`At most ${MAX_CIDS_PER_REQUEST} CIDs per request`)
  const stream = await openStream(libp2p, peer, BLOCKS_PROTOCOL, signal)
  return await withDeadline(stream, BLOCK_REQUEST_TIMEOUT_MS, async (deadline) => {
    await sendFrames(stream, [{ cids }], deadline)
    const out = await closeThenRead(stream, deadline, async () => {
      const answers: Array<Uint8Array | undefined> = []
      for await (const frame of readFrames(stream, { maxFrameBytes: MAX_BLOCK_FRAME_BYTES, maxFrames: cids.length, cut: 'unavailable' })) {
        const response = parseResponse(frame)
        if ('error' in response) {
          throw response.error === 'rate-limited'
            ? new RateLimitedError(`Peer ${peer.toString()} is rate-limiting block requests`, { peer: peer.toString() })
            : new PeerUnavailableError(`Peer ${peer.toString()} refused a block request: ${response.error.slice(0, 200)}`, { peer: peer.toString() })
        }
        answers.push('bytes' in response ? response.bytes : undefined)
      }
      return answers
    })
    if (out.length !== cids.length) throw cutShort('unavailable', `Asked for ${cids.length} blocks, got ${out.length} answers`)
    return out
  }, signal)
}

/**
 * Fetches many blocks from `peer`, MAX_CIDS_PER_REQUEST per request with a few requests in flight;
 * returns the ones it had. Bytes are not checked here: whoever decodes them checks them (loadCommit).
 */
export async function fetchBlocks (libp2p: Libp2p, peer: PeerId, cids: string[], signal?: AbortSignal): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>()
  const requests: string[][] = []
  for (let i = 0; i < cids.length; i += MAX_CIDS_PER_REQUEST) requests.push(cids.slice(i, i + MAX_CIDS_PER_REQUEST))
  const worker = async (): Promise<void> => {
    for (let next = requests.shift(); next != null; next = requests.shift()) {
      const answers = await requestBlocks(libp2p, peer, next, signal)
      answers.forEach((bytes, i) => { if (bytes != null) found.set(next[i], bytes) })
    }
  }
  await Promise.all(Array.from({ length: Math.min(BLOCK_REQUESTS_IN_FLIGHT, requests.length) }, worker))
  return found
}

/**
 * A BlockSource for `node.ingest` that reads `prefetched` blocks first and fetches any other
 * block from one peer.
 */
export function blocksFrom (libp2p: Libp2p, peer: PeerId, signal?: AbortSignal, prefetched?: Map<string, Uint8Array>): BlockSource {
  return async (cid: CID) => prefetched?.get(cid.toString()) ?? (await requestBlocks(libp2p, peer, [cid.toString()], signal))[0]
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
export function parseRequest (frame: unknown): string[] {
  const cids = (frame as { cids?: unknown } | null)?.cids
  if (!Array.isArray(cids) || cids.length === 0 || cids.length > MAX_CIDS_PER_REQUEST) {
    throw new SyncProtocolError(`A block request needs \`cids\`: 1 to ${MAX_CIDS_PER_REQUEST} CID strings`)
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
  const { bytes, missing, error } = frame as Record<string, unknown>
  if (bytes instanceof Uint8Array) {
    if (bytes.length > MAX_COMMIT_BLOCK_BYTES) throw new SyncProtocolError(`A block of ${bytes.length} bytes exceeds ${MAX_COMMIT_BLOCK_BYTES}`)
    return { bytes }
  }
  if (missing === true) return { missing: true }
  if (typeof error === 'string') return { error }
  throw new SyncProtocolError('A block answer needs `bytes`, `missing` or `error`')
}
