import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { buildSignedCommit, dataCommit } from '../../src/index.js'
import { StreamID } from '../../src/ids/index.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { CorruptStoreError, StoreFullError } from '../../src/errors.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { Store } from '../../src/store/store.js'
import type { StreamSnapshot } from '../../src/api/types.js'
import { kilnSigner } from '../fixtures/identities.js'
import { noteModel } from '../fixtures/models.js'

async function newNode (name = 'alice'): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

describe('StreamNode', () => {
  it('creates, updates and loads a Tile; history lists every version', async () => {
    const node = await newNode()
    const created = await node.create({ content: { title: 'a' }, family: 'notes' })
    expect(created.metadata.controllers).toEqual([node.controller])
    const updated = await node.update(created.id, { content: { title: 'b' } })
    const patched = await node.update(created.id, { patch: [{ op: 'add', path: '/done', value: true }] })
    expect(patched.content).toEqual({ title: 'b', done: true })
    expect((await node.load(created.id)).content).toEqual({ title: 'b', done: true })
    const history = await node.history(created.id)
    expect(history.map((h) => h.commitId)).toEqual([created.commitId, updated.commitId, patched.commitId])
    const past = await node.load(updated.commitId)
    expect(past.content).toEqual({ title: 'b' })
    expect(past.readOnly).toBe(true)
  })

  it('a write on a stale tip is refused and nothing changes', async () => {
    const node = await newNode()
    const created = await node.create({ content: { n: 1 } })
    await node.update(created.id, { content: { n: 2 } })
    await expect(node.update(created.id, { content: { n: 3 }, expectedTip: created.tip })).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
    expect((await node.load(created.id)).content).toEqual({ n: 2 })
  })

  it('concurrent updates to one stream are serialised, none lost', async () => {
    const node = await newNode()
    const created = await node.create({ content: { list: [] } })
    await Promise.all(Array.from({ length: 20 }, async (_, i) => await node.update(created.id, { patch: [{ op: 'add', path: '/list/-', value: i }] })))
    const final = await node.load(created.id)
    expect((final.content as { list: number[] }).list.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(final.log).toHaveLength(21)
  })

  it('subscribers hear about changes to a stream and to a query', async () => {
    const node = await newNode()
    const created = await node.create({ content: { n: 1 }, family: 'watched' })
    const byId: StreamSnapshot[] = []
    const byQuery: StreamSnapshot[] = []
    const stop = node.subscribe(created.id, (s) => byId.push(s))
    node.subscribe({ family: 'watched' }, (s) => byQuery.push(s))
    await node.update(created.id, { content: { n: 2 } })
    await node.create({ content: { other: true }, family: 'watched' })
    await node.create({ content: { other: true }, family: 'ignored' })
    stop()
    await node.update(created.id, { content: { n: 3 } })
    expect(byId.map((s) => s.content)).toEqual([{ n: 2 }])
    expect(byQuery.map((s) => s.content)).toEqual([{ n: 2 }, { other: true }, { n: 3 }])
  })

  it('queries by controller, family and model, paginated', async () => {
    const node = await newNode()
    const model = await node.create({ type: 'model', content: noteModel })
    for (let i = 0; i < 5; i++) await node.create({ type: 'MID', model: model.id, content: { text: `note ${i}` } })
    await node.create({ content: { x: 1 }, family: 'other' })
    const first = await node.query({ model: model.id }, { limit: 3 })
    const second = await node.query({ model: model.id }, { limit: 3, cursor: first.cursor })
    expect([...first.items, ...second.items].map((s) => s.content)).toEqual([0, 1, 2, 3, 4].map((i) => ({ text: `note ${i}` })))
    expect(second.cursor).toBeUndefined()
    expect((await node.query({ controller: node.controller })).items).toHaveLength(7)
    expect((await node.query({ family: 'other' })).items).toHaveLength(1)
  })

  it('MID content is validated against the model, and the model must be known', async () => {
    const node = await newNode()
    const model = await node.create({ type: 'model', content: noteModel })
    await expect(node.create({ type: 'MID', model: model.id, content: { text: 1 } })).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    const other = await newNode('bob')
    await expect(other.create({ type: 'MID', model: model.id, content: { text: 'x' } })).rejects.toMatchObject({ code: 'ERR_MISSING_DEPENDENCY' })
    expect((await other.stats()).streams).toBe(0)
  })

  it('a deterministic stream is created once: creating it again returns it', async () => {
    const node = await newNode()
    const a = await node.create({ deterministic: true, family: 'IDX' })
    const b = await node.create({ deterministic: true, family: 'IDX' })
    expect(b.id).toBe(a.id)
    expect((await node.stats()).streams).toBe(1)
  })

  it('export to CAR and import into another node gives the same state; a forged CAR is refused', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { v: 1 } })
    await alice.update(created.id, { content: { v: 2 } })
    const car = await alice.exportCar(created.id)
    const bob = await newNode('bob')
    const imported = await bob.importCar(car)
    expect(imported.id).toBe(created.id)
    expect(imported.content).toEqual({ v: 2 })
    expect((await bob.history(created.id))).toHaveLength(2)
    const forged = car.slice()
    forged[forged.length - 3] ^= 1
    const carol = await newNode('carol')
    await expect(carol.importCar(forged)).rejects.toMatchObject({ code: 'ERR_INVALID_CAR' })
    expect((await carol.stats()).streams).toBe(0)
  })

  it('concurrent offline writes on two devices: both branches kept, the losing device re-signs its write on the winner, all converge', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { list: ['start'] } })
    // A second device of the same user (same key), with a copy of the stream.
    const phone = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    await phone.importCar(await alice.exportCar(created.id))
    // Both write offline on the same tip.
    await alice.update(created.id, { patch: [{ op: 'add', path: '/list/-', value: 'from laptop' }] })
    await phone.update(created.id, { patch: [{ op: 'add', path: '/list/-', value: 'from phone' }] })
    const laptopCar = await alice.exportCar(created.id)
    const phoneCar = await phone.exportCar(created.id)
    const onLaptop = await alice.importCar(phoneCar)
    const onPhone = await phone.importCar(laptopCar)
    // Exactly one device lost the conflict rule and re-signed its write on top of the winner.
    const [loser, winner] = onLaptop.log.length > onPhone.log.length ? [alice, phone] : [phone, alice]
    await winner.importCar(await loser.exportCar(created.id))
    const a = await alice.load(created.id)
    const b = await phone.load(created.id)
    expect(a.tip).toBe(b.tip)
    expect(a.content).toEqual(b.content)
    expect((a.content as { list: string[] }).list.sort()).toEqual(['from laptop', 'from phone', 'start'])
    // Nothing was deleted: the losing branch is still a tip, loadable by its CommitID.
    expect(a.tips.length).toBeGreaterThanOrEqual(2)
    const lostTip = a.tips.find((t) => t !== a.tip && !a.log.some((e) => e.cid === t)) as string
    expect((await alice.load(`${created.id}?commit=${lostTip}`)).content).not.toEqual(a.content)
  })

  it('has and find answer from the stream record: held or not, tips and indexed fields', async () => {
    const node = await newNode()
    const created = await node.create({ content: { n: 1 }, family: 'notes' })
    const updated = await node.update(created.id, { content: { n: 2 } })
    const unknown = (await (await newNode('bob')).create({ content: {} })).id
    expect(await node.has(created.id)).toBe(true)
    expect(await node.has(updated.commitId)).toBe(true)
    expect(await node.has(unknown)).toBe(false)
    expect(await node.find(created.id)).toEqual({ id: created.id, tips: [updated.tip], controller: node.controller, family: 'notes' })
    expect(await node.find(unknown)).toBeUndefined()
    await expect(node.has('not-an-id')).rejects.toMatchObject({ code: 'ERR_INVALID_ID' })
  })

  it('a damaged store is not a missing dependency: reading the Model fails with its own code', async () => {
    const store = createMemoryStore()
    const writer = createStreamNode({ store, signer: await kilnSigner('alice') })
    const model = await writer.create({ type: 'model', content: noteModel })
    const damaged: Store = { ...store, getStream: async (id) => { if (id === model.id) throw new CorruptStoreError(); return await store.getStream(id) } }
    const node = createStreamNode({ store: damaged, signer: await kilnSigner('alice') })
    await expect(node.create({ type: 'MID', model: model.id, content: { text: 'x' } })).rejects.toMatchObject({ code: 'ERR_STORE_CORRUPT' })
    expect((await writer.stats()).streams).toBe(1)
  })

  it('a full disk while re-signing a lost write is reported, and the branch that arrived stays stored', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { v: 0 } })
    /** Fails every write after the first once armed: the arriving branch lands, a rebase write does not. */
    const fillsUp = (): Store & { arm: () => void } => {
      const store = createMemoryStore()
      let writes: number | undefined
      return {
        ...store,
        arm: () => { writes = 0 },
        async putCommit (batch) {
          if (writes != null && writes++ >= 1) throw new StoreFullError()
          await store.putCommit(batch)
        }
      }
    }
    const stores = [fillsUp(), fillsUp()]
    const [laptop, phone] = await Promise.all(stores.map(async (store) => createStreamNode({ store, signer: await kilnSigner('alice') })))
    const start = await alice.exportCar(created.id)
    await laptop.importCar(start)
    await phone.importCar(start)
    await laptop.update(created.id, { patch: [{ op: 'add', path: '/laptop', value: true }] })
    await phone.update(created.id, { patch: [{ op: 'add', path: '/phone', value: true }] })
    const [laptopCar, phoneCar] = [await laptop.exportCar(created.id), await phone.exportCar(created.id)]
    for (const store of stores) store.arm()
    const outcomes = await Promise.allSettled([laptop.importCar(phoneCar), phone.importCar(laptopCar)])
    // Exactly one device lost the conflict rule and tried to re-sign its write: its disk was full.
    const refused = outcomes.filter((o) => o.status === 'rejected')
    expect(refused).toHaveLength(1)
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_STORE_FULL' })
    const loser = outcomes[0].status === 'rejected' ? laptop : phone
    const held = await loser.load(created.id)
    expect(held.tips).toHaveLength(2)
    expect(held.log).toHaveLength(2)
  })

  it('offline edits merge by path: different fields are both kept; on the same field the winner stands and both branches stay', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { title: 'draft', body: 'text', tags: ['a'], meta: { words: 1 } } })
    const phone = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    await phone.importCar(await alice.exportCar(created.id))
    // Laptop: a new title, a tag appended, a nested field. Phone: the body, another tag, the same title.
    await alice.update(created.id, { content: { title: 'laptop title', body: 'text', tags: ['a', 'laptop'], meta: { words: 2 } } })
    await phone.update(created.id, { content: { title: 'phone title', body: 'phone body', tags: ['a', 'phone'], meta: { words: 1, lang: 'en' } } })
    const [fromLaptop, fromPhone] = [await alice.exportCar(created.id), await phone.exportCar(created.id)]
    const results = [await alice.importCar(fromPhone), await phone.importCar(fromLaptop)]
    const [loser, winner] = results[0].log.length > results[1].log.length ? [alice, phone] : [phone, alice]
    await winner.importCar(await loser.exportCar(created.id))
    const [a, b] = [await alice.load(created.id), await phone.load(created.id)]
    expect(a.tip).toBe(b.tip)
    const winnerTitle = winner === alice ? 'laptop title' : 'phone title'
    const winnerTags = winner === alice ? ['a', 'laptop', 'phone'] : ['a', 'phone', 'laptop']
    expect(a.content).toEqual({ title: winnerTitle, body: 'phone body', tags: winnerTags, meta: { words: 2, lang: 'en' } })
    // One merge commit on top of the winner; the losing branch is still stored.
    expect(a.log).toHaveLength(3)
    expect(a.tips).toHaveLength(2)
  })

  it('a delete on one side and an edit on the other: the winner stands; edits that merge to nothing new write nothing', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { note: 'x', keep: 1 } })
    const phone = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    await phone.importCar(await alice.exportCar(created.id))
    await alice.update(created.id, { patch: [{ op: 'remove', path: '/note' }] })
    await phone.update(created.id, { patch: [{ op: 'replace', path: '/note', value: 'edited' }] })
    const [fromLaptop, fromPhone] = [await alice.exportCar(created.id), await phone.exportCar(created.id)]
    const results = [await alice.importCar(fromPhone), await phone.importCar(fromLaptop)]
    // The only change of the losing side clashes with the winner's: nothing is re-signed, both keep both branches.
    expect(results[0].tip).toBe(results[1].tip)
    expect(results[0].log).toHaveLength(2)
    expect(results[0].tips).toHaveLength(2)
    expect(results[1].tips).toHaveLength(2)
  })

  it('a node that only relays (holds no signer for the stream) keeps both branches and re-signs nothing', async () => {
    const alice = await newNode()
    const created = await alice.create({ content: { v: 0 } })
    const relay = createStreamNode({ store: createMemoryStore() })
    await relay.importCar(await alice.exportCar(created.id))
    const phone = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    await phone.importCar(await alice.exportCar(created.id))
    await alice.update(created.id, { content: { v: 'laptop' } })
    await phone.update(created.id, { content: { v: 'phone' } })
    await relay.importCar(await alice.exportCar(created.id))
    const both = await relay.importCar(await phone.exportCar(created.id))
    expect(both.tips).toHaveLength(2)
    expect(both.log).toHaveLength(2)
    expect((await relay.stats()).commits).toBe(3)
  })

  it('a node without a signer is read-only with a clear error', async () => {
    const node = createStreamNode({ store: createMemoryStore() })
    await expect(node.create({ content: {} })).rejects.toMatchObject({ code: 'ERR_NO_SIGNER' })
    await expect(node.load('kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa')).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
  })
})

describe('StreamNode models', () => {
  it('single and set documents are made with their content in one call: an empty genesis and a first data commit, stored together', async () => {
    const node = await newNode()
    const profile = await node.create({ type: 'model', content: { ...noteModel, name: 'Profile', accountRelation: { type: 'single' } } })
    const tagged = await node.create({ type: 'model', content: { ...noteModel, name: 'Tagged', accountRelation: { type: 'set', fields: ['text'] } } })
    const mine = await node.create({ type: 'MID', model: profile.id, deterministic: true, content: { text: 'hello' } })
    expect(mine.content).toEqual({ text: 'hello' })
    expect(mine.log.map((e) => e.type)).toEqual([0, 1])
    // Anyone computes the same StreamID: it is the empty genesis, whatever the content.
    const device = await newNode('alice')
    await device.importCar(await node.exportCar(profile.id))
    expect((await device.create({ type: 'MID', model: profile.id, deterministic: true })).id).toBe(mine.id)
    const set = await node.create({ type: 'MID', model: tagged.id, unique: ['a'], content: { text: 'a' } })
    expect(set.content).toEqual({ text: 'a' })
    // Creating it again with other content updates it; with the same content changes nothing.
    const again = await node.create({ type: 'MID', model: profile.id, deterministic: true, content: { text: 'hi again' } })
    expect(again.id).toBe(mine.id)
    expect(again.content).toEqual({ text: 'hi again' })
    expect((await node.create({ type: 'MID', model: profile.id, deterministic: true, content: { text: 'hi again' } })).log).toHaveLength(3)
    // Content the schema refuses stores neither commit.
    const before = await node.stats()
    await expect(node.create({ type: 'MID', model: tagged.id, unique: ['b'], content: { text: 7 } })).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    expect(await node.stats()).toEqual(before)
  })

  it('creating the same Model twice returns the first (its StreamID follows from its content)', async () => {
    const node = await newNode()
    const a = await node.create({ type: 'model', content: noteModel })
    const b = await node.create({ type: 'model', content: noteModel })
    expect(b.id).toBe(a.id)
    expect((await node.stats()).streams).toBe(1)
  })

  it('ingest: another stream\'s commit passed off as a tip, or as the prev of a forged commit, is refused and changes nothing', async () => {
    const writer = await newNode('alice')
    const x = await writer.update((await writer.create({ content: { x: 1 } })).id, { content: { x: 2 } })
    const y = await writer.update((await writer.create({ content: { y: 1 } })).id, { content: { y: 2 } })
    const source = async (cid: CID): Promise<Uint8Array | undefined> => await writer.block(cid.toString())
    const reader = await newNode('bob')
    await reader.ingest(x.id, x.tip, source)
    await reader.ingest(y.id, y.tip, source)
    // X's tip named as Y's: a commit the reader holds, but not Y's.
    await expect(reader.ingest(y.id, x.tip, source)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
    // Signed by Y's controller, for Y, on top of X's tip.
    const forged = await buildSignedCommit(dataCommit({ genesis: StreamID.fromString(y.id).cid, prev: CID.parse(x.tip), patch: [{ op: 'replace', path: '/y', value: 666 }] }), await kilnSigner('alice'))
    const blocks = new Map(forged.blocks.map((b) => [b.cid.toString(), b.bytes]))
    await expect(reader.ingest(y.id, forged.cid.toString(), async (cid) => blocks.get(cid.toString()) ?? await source(cid)))
      .rejects.toMatchObject({ code: expect.stringMatching(/^ERR_/) })
    const after = await reader.load(y.id)
    expect([after.tip, after.content]).toEqual([y.tip, { y: 2 }])
    expect((await reader.history(y.id)).map((h) => h.commitId)).toEqual((await writer.history(y.id)).map((h) => h.commitId))
  })
})
