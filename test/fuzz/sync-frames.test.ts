import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { EVENT_ID_MAX, EVENT_ID_MIN } from '../../src/ids/event-id.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { parseRequest as parseBlockRequest, parseResponse as parseBlockResponse } from '../../src/sync/block-exchange.js'
import { MAX_BLOCK_FRAME_BYTES, MAX_BLOCK_REQUEST_BYTES, MAX_HEADS_REQUEST_BYTES, MAX_HEADS_RESPONSE_BYTES, MAX_RECON_MESSAGE_BYTES } from '../../src/sync/constants.js'
import { encodeFrame, readFrames } from '../../src/sync/frames.js'
import { parsePage as parseHeadsPage, parseRequest as parseHeadsRequest } from '../../src/sync/heads-sync.js'
import { type ReconIndex, createReconIndex } from '../../src/sync/recon-index.js'
import { parseMessage, respond } from '../../src/sync/recon-protocol.js'
import { sha256aBytes } from '../../src/sync/sha256a.js'
import { type Rng, concat, fuzzRuns, mutateBytes, mutateValue, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'
import { postModel } from '../fixtures/models.js'

/**
 * Each sync protocol's frames (recon, heads requests and answers, block requests and answers)
 * through the frame reader and the protocol's own parser, as a stream of chunks cut anywhere.
 * Catch-up (catch-up.ts) reads nothing of its own: it takes heads pages and block answers, so it
 * is covered by those parsers and by the commit suite (the blocks it fetches go through loadCommit).
 */
const RUNS = fuzzRuns(500)

/** A libp2p stream that yields `chunks` then ends, as a remote that sent them and closed its side. */
function streamOf (chunks: Uint8Array[]): Stream {
  return { async * [Symbol.asyncIterator] () { for (const chunk of chunks) yield chunk } } as unknown as Stream
}

function chunked (rng: Rng, bytes: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let at = 0; at < bytes.length;) {
    const size = 1 + rng.int(rng.chance(0.5) ? 8 : bytes.length)
    chunks.push(bytes.subarray(at, at + size))
    at += size
  }
  return chunks
}

interface Protocol {
  name: string
  samples: unknown[]
  maxFrameBytes: number
  maxFrames: number
  parse: (frame: unknown) => unknown
}

/** Frames made from the samples, mutated as values (then framed) or as bytes (prefixes included), cut into chunks. */
function framedInput (rng: Rng, protocol: Protocol): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const sample = dagCbor.decode(dagCbor.encode(rng.pick(protocol.samples))) // a fresh copy to bend
    if (rng.chance(0.5)) {
      try {
        frames.push(encodeFrame(mutateValue(rng, sample)))
        continue
      } catch { /* a value dag-cbor cannot hold: fall through to a byte-level edit */ }
    }
    frames.push(encodeFrame(sample))
  }
  let bytes = concat(...frames)
  if (rng.chance(0.6)) bytes = mutateBytes(rng, bytes, protocol.samples.map(encodeFrame))
  return chunked(rng, bytes)
}

async function readAndParse (protocol: Protocol, chunks: Uint8Array[]): Promise<unknown[]> {
  const out: unknown[] = []
  for await (const frame of readFrames(streamOf(chunks), { maxFrameBytes: protocol.maxFrameBytes, maxFrames: protocol.maxFrames })) out.push(protocol.parse(frame))
  return out
}

async function protocols (): Promise<{ list: Protocol[], index: ReconIndex }> {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
  const model = await node.create({ type: 'model', content: postModel })
  const doc = await node.create({ type: 'MID', model: model.id, content: { title: 't', published: 1 } })
  const tile = await node.create({ content: { n: 1 } })
  const updated = await node.update(tile.id, { content: { n: 2 } })
  const index = createReconIndex({ node, log: () => {} })
  await index.idle()
  const whole = index.summary(EVENT_ID_MIN, EVENT_ID_MAX)
  const keys = index.list(EVENT_ID_MIN, EVENT_ID_MAX, 10)
  const block = await node.block(updated.tip) as Uint8Array
  const controller = (await node.find(tile.id))?.controller as string
  const list: Protocol[] = [
    {
      name: 'recon',
      samples: [
        { items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, count: whole.count, hash: sha256aBytes(whole.hash) }] },
        { items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, keys, want: true }] },
        { items: [] }
      ],
      maxFrameBytes: MAX_RECON_MESSAGE_BYTES,
      maxFrames: 10,
      // What a responder does with a message: parse it, then answer from its own index.
      parse: (frame) => respond(index, parseMessage(frame), new Map())
    },
    {
      name: 'heads request',
      samples: [{ streams: [tile.id, doc.id] }, { query: { model: model.id, controller }, limit: 10, cursor: 'abc' }, { streams: [tile.id], times: true }, {}],
      maxFrameBytes: MAX_HEADS_REQUEST_BYTES,
      maxFrames: 1,
      parse: parseHeadsRequest
    },
    {
      name: 'heads answer',
      samples: [
        { items: [{ id: tile.id, tips: [updated.tip], controller }, { id: doc.id, tips: [doc.tip], controller, model: model.id, family: 'f', schema: 's' }], cursor: 'next' },
        { items: [{ id: tile.id, tips: [updated.tip, tile.tip], controller, received: { [tile.tip]: 1_700_000_000_000, [updated.tip]: 1_700_000_000_001 } }] }
      ],
      maxFrameBytes: MAX_HEADS_RESPONSE_BYTES,
      maxFrames: 1,
      parse: parseHeadsPage
    },
    {
      name: 'blocks request',
      samples: [{ cids: [tile.tip, updated.tip, doc.tip] }, { cids: [model.tip] }],
      maxFrameBytes: MAX_BLOCK_REQUEST_BYTES,
      maxFrames: 1,
      parse: parseBlockRequest
    },
    {
      name: 'blocks answer',
      samples: [{ bytes: block }, { missing: true }, { error: 'rate-limited' }],
      maxFrameBytes: MAX_BLOCK_FRAME_BYTES,
      maxFrames: 3,
      parse: parseBlockResponse
    }
  ]
  await node.close()
  return { list, index }
}

describe('sync protocol frames', async () => {
  const { list } = await protocols()
  for (const protocol of list) {
    it(`${protocol.name}: ${RUNS} mutated frame streams are refused typed or parsed, never crash`, async () => {
      for (const sample of protocol.samples) await readAndParse(protocol, [encodeFrame(sample)]) // the samples are valid
      const result = await runFuzz({
        name: `frames ${protocol.name}`,
        runs: RUNS,
        input: (rng) => framedInput(rng, protocol),
        run: async (chunks) => await readAndParse(protocol, chunks),
        show: (chunks) => Buffer.from(concat(...chunks)).toString('hex')
      })
      expect(result.failures).toEqual([])
      expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 4)
    }, 60_000)
  }
})
