import * as dagCbor from '@ipld/dag-cbor'
import { expect, it } from 'vitest'
import type { Block } from '../../src/commits/block.js'
import { cidFor } from '../../src/commits/block.js'
import { decodeCar, encodeCar } from '../../src/commits/car.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { ingestEventCar, eventCar } from '../../src/server/ceramic-events.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { varint } from 'multiformats'
import { CID } from 'multiformats/cid'
import { type Rng, concat, fuzzRuns, mutateBytes, mutateCbor, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'
import { postModel } from '../fixtures/models.js'

/**
 * CAR bytes into both import paths (`kiln import` / POST of a stream CAR: node.importCar; the
 * ceramic-one event routes: ingestEventCar), on a node that holds data. Every refusal must be
 * typed, a refused CAR must change nothing stored, and no CAR may remove a commit held before or
 * change a held stream's content.
 */
const RUNS = fuzzRuns(700)

interface Held { id: string, commits: string[], content: unknown }

async function samples (): Promise<{ node: StreamNode, held: Held[], streamCars: Uint8Array[], eventCars: Uint8Array[] }> {
  // The streams a writer made; the node under test holds some of them (whole), not the others.
  const writer = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
  const model = await writer.create({ type: 'model', content: postModel })
  const doc = await writer.create({ type: 'MID', model: model.id, content: { title: 'held', published: 1 } })
  await writer.update(doc.id, { content: { title: 'held, edited', published: 2 } })
  const tile = await writer.create({ content: { n: 1 } })
  await writer.update(tile.id, { content: { n: 2, list: [1, 2, 3] } })
  const unheld = await writer.create({ content: { secret: 'not here yet' } })
  await writer.update(unheld.id, { content: { secret: 'still not here' } })
  const unheldDoc = await writer.create({ type: 'MID', model: model.id, content: { title: 'not held', published: 3 } })

  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob') })
  for (const id of [model.id, doc.id, tile.id]) await node.importCar(await writer.exportCar(id))
  const own = await node.create({ content: { mine: true } })
  await node.update(own.id, { content: { mine: 'yes' } })
  const held: Held[] = []
  for (const id of [model.id, doc.id, tile.id, own.id]) {
    const state = await node.load(id)
    held.push({ id, commits: (await node.commits(id)).map((c) => c.cid), content: state.content })
  }
  const streamCars = await Promise.all([model.id, doc.id, tile.id, unheld.id, unheldDoc.id].map(async (id) => await writer.exportCar(id)))
  const eventCars: Uint8Array[] = []
  for (const id of [doc.id, tile.id, unheld.id, unheldDoc.id]) {
    for (const { cid } of await writer.commits(id)) eventCars.push(await eventCar(writer, CID.parse(cid)) as Uint8Array)
  }
  await writer.close()
  return { node, held, streamCars, eventCars }
}

/** A CAR rebuilt from a sample's blocks with one block's value bent (its CID recomputed), or blocks dropped, duplicated or re-rooted. */
async function mutateCarStructure (rng: Rng, car: Uint8Array): Promise<Uint8Array> {
  const decoded = await decodeCar(car)
  const blocks: Block[] = [...decoded.blocks.values()]
  let root = decoded.root
  const roll = rng.int(4)
  if (roll === 0 && blocks.length > 1) blocks.splice(rng.int(blocks.length), 1)
  else if (roll === 1) root = rng.pick(blocks).cid
  else if (roll === 2) blocks.push(rng.pick(blocks), { cid: rng.pick(blocks).cid, bytes: rng.pick(blocks).bytes })
  else {
    const at = rng.int(blocks.length)
    const old = blocks[at]
    const bytes = mutateCbor(rng, old.bytes)
    const cid = await cidFor(old.cid.code, bytes)
    blocks[at] = { cid, bytes }
    if (old.cid.equals(root) || rng.chance(0.3)) root = cid
  }
  // encodeCar drops repeated CIDs; a CAR with a block whose bytes lie about its CID is written by hand.
  if (roll === 2) return rawCar(root, blocks)
  return await encodeCar(root, blocks)
}

function rawCar (root: CID, blocks: Block[]): Uint8Array {
  const parts: Uint8Array[] = []
  const push = (bytes: Uint8Array): void => { parts.push(varint.encodeTo(bytes.length, new Uint8Array(varint.encodingLength(bytes.length))), bytes) }
  push(dagCbor.encode({ version: 1, roots: [root] }))
  for (const block of blocks) push(concat(block.cid.bytes, block.bytes))
  return concat(...parts)
}

it(`refuses ${RUNS} mutated CARs with typed errors on both import paths, and loses nothing stored`, async () => {
  const { node, held, streamCars, eventCars } = await samples()
  const all = [...streamCars, ...eventCars]
  let before = await node.stats()
  const result = await runFuzz({
    name: 'car-import',
    runs: RUNS,
    async input (rng) {
      const toEvents = rng.chance(0.35)
      const sample = rng.pick(toEvents ? eventCars : streamCars)
      const bytes = rng.chance(0.5) ? mutateBytes(rng, sample, all) : await mutateCarStructure(rng, sample)
      return { toEvents, bytes }
    },
    run: async ({ toEvents, bytes }) => toEvents ? await ingestEventCar(node, bytes) : await node.importCar(bytes),
    async lost (_input, accepted) {
      let changed = 0
      for (const stream of held) {
        // Not the tip: a CAR may bring a valid branch of a held stream, which may win the tie-break.
        const commits = new Set((await node.commits(stream.id)).map((c) => c.cid))
        const state = await node.load(stream.id)
        if (!stream.commits.every((cid) => commits.has(cid)) || JSON.stringify(state.content) !== JSON.stringify(stream.content)) changed++
      }
      const now = await node.stats()
      // A refused CAR stores nothing; an accepted one may add a stream it holds, never remove one.
      if (accepted ? now.blocks < before.blocks || now.streams < before.streams : JSON.stringify(now) !== JSON.stringify(before)) changed++
      before = now
      return changed
    },
    show: ({ toEvents, bytes }) => `${toEvents ? 'event' : 'stream'} CAR ${Buffer.from(bytes).toString('hex')}`
  })
  expect(result.failures).toEqual([])
  expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 2)
  await node.close()
}, 120_000)
