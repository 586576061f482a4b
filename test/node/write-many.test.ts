import { describe, expect, it } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { postModel } from '../fixtures/models.js'

async function nodeOf (name = 'alice'): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

describe('writeMany', () => {
  it('creates and updates many streams in one call; each is verified, stored and loadable as if written one by one', async () => {
    const node = await nodeOf()
    const model = await node.create({ type: 'model', content: postModel })
    const note = await node.create({ content: { n: 0 } })
    const heard: string[] = []
    node.subscribe({ model: model.id }, (s) => { heard.push((s.content as { title: string }).title) })
    const writes = [
      ...[...Array(50).keys()].map((i) => ({ create: { type: 'MID' as const, model: model.id, content: { title: `post ${i}`, published: i } } })),
      { id: note.id, update: { content: { n: 1 } } },
      { id: note.id, update: { patch: [{ op: 'add' as const, path: '/m', value: 2 }] } }
    ]
    const results = await node.writeMany(writes)
    expect(results).toHaveLength(52)
    expect(results[0].content).toEqual({ title: 'post 0', published: 0 })
    // Both updates of the note landed, one on the other; both results show the note after the call.
    expect(results[50].content).toEqual({ n: 1, m: 2 })
    expect(results[51].id).toBe(note.id)
    expect(await node.history(note.id)).toHaveLength(3)
    expect((await node.query({ model: model.id }, { limit: 100 })).items).toHaveLength(50)
    expect(heard).toHaveLength(50)
    // Another node accepts what writeMany wrote, commit by commit.
    const bob = await nodeOf('bob')
    await bob.importCar(await node.exportCar(model.id))
    const imported = await bob.importCar(await node.exportCar(results[7].id))
    expect(imported.content).toEqual({ title: 'post 7', published: 7 })
  })

  it('one bad write refuses the whole call: nothing of it is stored', async () => {
    const node = await nodeOf()
    const model = await node.create({ type: 'model', content: postModel })
    const note = await node.create({ content: { n: 0 } })
    const before = await node.stats()
    const good = [...Array(5).keys()].map((i) => ({ create: { type: 'MID' as const, model: model.id, content: { title: `ok ${i}`, published: i } } }))
    // A document its Model's schema refuses (published must be an integer).
    await expect(node.writeMany([...good, { create: { type: 'MID', model: model.id, content: { title: 'bad', published: 'soon' } } }])).rejects.toMatchObject({ code: 'ERR_SCHEMA_VIOLATION' })
    // An update built on a tip the note has left.
    await node.update(note.id, { content: { n: 1 } })
    await expect(node.writeMany([...good, { id: note.id, update: { content: { n: 9 }, expectedTip: note.tip } }])).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
    await expect(node.writeMany([...good, { id: 'kjzl6-not-an-id', update: { content: {} } }])).rejects.toMatchObject({ code: 'ERR_INVALID_ID' })
    await expect(node.writeMany([])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(node.writeMany([{ nonsense: true } as never])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    // Only the one update made on its own is stored.
    const after = await node.stats()
    expect(after.streams).toBe(before.streams)
    expect(after.commits).toBe(before.commits + 1)
    expect((await node.query({ model: model.id })).items).toEqual([])
    expect((await node.load(note.id)).content).toEqual({ n: 1 })
  })

  it('a single document created twice in one call is one stream with the last content', async () => {
    const node = await nodeOf()
    const model = await node.create({ type: 'model', content: { ...postModel, accountRelation: { type: 'single' } } })
    const [first, second] = await node.writeMany([
      { create: { type: 'MID', model: model.id, deterministic: true, content: { title: 'one', published: 1 } } },
      { create: { type: 'MID', model: model.id, deterministic: true, content: { title: 'two', published: 2 } } }
    ])
    expect(first.id).toBe(second.id)
    expect(second.content).toEqual({ title: 'two', published: 2 })
    expect(await node.history(first.id)).toHaveLength(3)
  })
})
