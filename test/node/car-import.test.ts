import { describe, expect, it } from 'vitest'
import type { CID } from 'multiformats/cid'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { type Block, decodeCar, encodeCar, loadCommit } from '../../src/index.js'
import { parseCidOrThrow } from '../../src/node/records.js'
import { kilnSigner } from '../fixtures/identities.js'

async function newNode (name = 'alice'): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

/** A stream of three commits (genesis, content update, patch) and its exported CAR. */
async function threeCommits (node: StreamNode): Promise<{ id: string, tips: string[], blocks: Block[] }> {
  const created = await node.create({ content: { title: 'a' }, family: 'notes' })
  const updated = await node.update(created.id, { content: { title: 'b' } })
  const patched = await node.update(created.id, { patch: [{ op: 'add', path: '/done', value: true }] })
  const car = await decodeCar(await node.exportCar(created.id))
  return { id: created.id, tips: [created.tip, updated.tip, patched.tip], blocks: [...car.blocks.values()] }
}

const cid = (text: string): CID => parseCidOrThrow(text)

/** One CAR per commit, the commit as its root: what ceramic-one serves and takes as an event. */
async function eventCars (node: StreamNode, id: string, blocks: Block[]): Promise<Uint8Array[]> {
  const byCid = new Map(blocks.map((b) => [b.cid.toString(), b.bytes]))
  const source = async (c: CID): Promise<Uint8Array | undefined> => byCid.get(c.toString())
  const cars: Uint8Array[] = []
  for (const entry of (await node.load(id)).log) {
    const commit = await loadCommit(cid(entry.cid), source)
    cars.push(await encodeCar(commit.cid, commit.blocks))
  }
  return cars
}

describe('importCar takes any CAR of a stream', () => {
  it('whatever its root (the genesis, a middle commit): every commit is imported and the tip found', async () => {
    const alice = await newNode()
    const { id, tips, blocks } = await threeCommits(alice)
    const expected = await alice.load(id)
    for (const root of [tips[0], tips[1]]) {
      const bob = await newNode('bob')
      const imported = await bob.importCar(await encodeCar(cid(root), blocks))
      expect(imported.content).toEqual({ title: 'b', done: true })
      expect(imported.tip).toBe(expected.tip)
      expect(imported.imported).toEqual({ tips: [tips[2]], commits: 3 })
      expect((await bob.history(id)).map((h) => h.cid)).toEqual(tips)
    }
  })

  it('a CAR holding two branches imports both; the conflict rule picks the same tip as the writer', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { v: 0 } })
    const phone = await newNode()
    await phone.importCar(await alice.exportCar(created.id))
    const laptopTip = (await alice.update(created.id, { content: { v: 'laptop' } })).tip
    const phoneTip = (await phone.update(created.id, { content: { v: 'phone' } })).tip
    const both = [...(await decodeCar(await alice.exportCar(created.id))).blocks.values(), ...(await decodeCar(await phone.exportCar(created.id))).blocks.values()]
    const relay = createStreamNode({ store: createMemoryStore() })
    const imported = await relay.importCar(await encodeCar(cid(created.tip), both))
    expect(imported.imported).toEqual({ tips: [laptopTip, phoneTip].sort(), commits: 3 })
    expect([...imported.tips].sort()).toEqual([laptopTip, phoneTip].sort())
    const reference = createStreamNode({ store: createMemoryStore() })
    await reference.importCar(await alice.exportCar(created.id))
    expect((await reference.importCar(await phone.exportCar(created.id))).tip).toBe(imported.tip)
  })

  it('a CAR mixing two streams is refused whole, and nothing is stored', async () => {
    const alice = await newNode()
    const one = await threeCommits(alice)
    const other = await alice.create({ content: { other: true } })
    const mixed = [...one.blocks, ...(await decodeCar(await alice.exportCar(other.id))).blocks.values()]
    const bob = await newNode('bob')
    await expect(bob.importCar(await encodeCar(cid(one.tips[2]), mixed))).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
    expect((await bob.stats()).streams).toBe(0)
    expect((await bob.stats()).blocks).toBe(0)
  })

  it('a CAR missing a block its commits need (a signed payload, a middle commit) is refused whole', async () => {
    const alice = await newNode()
    const { id, tips, blocks } = await threeCommits(alice)
    const byCid = new Map(blocks.map((b) => [b.cid.toString(), b.bytes]))
    const middle = await loadCommit(cid(tips[1]), async (c) => byCid.get(c.toString()))
    const payload = middle.blocks[1].cid.toString()
    const bob = await newNode('bob')
    const withoutPayload = blocks.filter((b) => b.cid.toString() !== payload)
    await expect(bob.importCar(await encodeCar(cid(tips[2]), withoutPayload))).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
    const withoutMiddle = blocks.filter((b) => !middle.blocks.some((m) => m.cid.equals(b.cid)))
    await expect(bob.importCar(await encodeCar(cid(tips[0]), withoutMiddle))).rejects.toMatchObject({ code: 'ERR_COMMIT_LINK', details: { prev: tips[1] } })
    expect(await bob.stats()).toMatchObject({ streams: 0, commits: 0, blocks: 0 })
    await expect(bob.load(id)).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
  })

  it('ceramic-one event CARs (one event each, the event as root) import one at a time, in any order the prevs allow', async () => {
    const alice = await newNode()
    const { id, tips, blocks } = await threeCommits(alice)
    const cars = await eventCars(alice, id, blocks)
    const bob = await newNode('bob')
    // Newest first: the data events come before what they build on and are refused, clearly.
    await expect(bob.importCar(cars[2])).rejects.toMatchObject({ code: 'ERR_COMMIT_LINK', details: { genesis: tips[0] } })
    await expect(bob.importCar(cars[1])).rejects.toMatchObject({ code: 'ERR_COMMIT_LINK' })
    expect((await bob.stats()).commits).toBe(0)
    expect((await bob.importCar(cars[0])).imported).toEqual({ tips: [tips[0]], commits: 1 })
    await expect(bob.importCar(cars[2])).rejects.toMatchObject({ code: 'ERR_COMMIT_LINK', details: { prev: tips[1] } })
    expect((await bob.stats()).commits).toBe(1)
    expect((await bob.importCar(cars[1])).content).toEqual({ title: 'b' })
    const last = await bob.importCar(cars[2])
    expect(last.content).toEqual({ title: 'b', done: true })
    expect(last.imported).toEqual({ tips: [tips[2]], commits: 1 })
    // Importing an event again changes nothing.
    expect((await bob.importCar(cars[1])).tip).toBe(tips[2])
    expect((await bob.stats()).commits).toBe(3)
  })
})
