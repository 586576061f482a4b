import { describe, expect, it } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { StreamSnapshot } from '../../src/api/types.js'
import { kilnSigner } from '../fixtures/identities.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'
import { listModel } from '../fixtures/models.js'

async function device (name: string): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
}

/** Every branch `from` holds of the stream reaches `to`, as sync would bring them. */
async function syncTo (from: StreamNode, to: StreamNode, id: string): Promise<StreamSnapshot> {
  const { tips } = await from.load(id)
  let last: StreamSnapshot | undefined
  for (const tip of tips) last = await to.importCar(await from.exportCar(`${id}?commit=${tip}`))
  return last as StreamSnapshot
}

/**
 * Alice edits one note on her laptop and her phone while both are offline; then they sync.
 * Both change the title (a conflict); the phone also changes the body (merged).
 */
async function offlineEdits (): Promise<{ laptop: StreamNode, phone: StreamNode, id: string, heard: StreamSnapshot[] }> {
  const laptop = await device('alice')
  const phone = await device('alice')
  const note = await laptop.create({ content: { title: 'draft', body: 'text' } })
  await syncTo(laptop, phone, note.id)
  await laptop.update(note.id, { content: { title: 'laptop title', body: 'text' } })
  await phone.update(note.id, { content: { title: 'phone title', body: 'phone body' } })
  const heard: StreamSnapshot[] = []
  for (const node of [laptop, phone]) node.subscribe(note.id, (s) => { heard.push(s) })
  const [fromLaptop, fromPhone] = [await laptop.exportCar(note.id), await phone.exportCar(note.id)]
  await laptop.importCar(fromPhone)
  await phone.importCar(fromLaptop)
  // The losing device wrote its merge; one more round and both hold the same commits.
  await syncTo(laptop, phone, note.id)
  await syncTo(phone, laptop, note.id)
  return { laptop, phone, id: note.id, heard }
}

describe('conflicts between offline edits', () => {
  it('both devices, and a node that cannot sign, report the same conflict; subscribers hear of it', async () => {
    const { laptop, phone, id, heard } = await offlineEdits()
    const shown = await laptop.load(id)
    expect(shown.tip).toBe((await phone.load(id)).tip)
    const title = (shown.content as { title: string }).title
    expect((shown.content as { body: string }).body).toBe('phone body')
    const other = title === 'laptop title' ? 'phone title' : 'laptop title'
    const conflicts = await laptop.conflicts(id)
    expect(conflicts).toEqual([{
      stream: id,
      path: '/title',
      base: 'draft',
      shown: { value: title, commit: expect.any(String), author: laptop.controller },
      other: { value: other, commit: expect.any(String), author: laptop.controller }
    }])
    expect(conflicts[0].other.commit).not.toBe(conflicts[0].shown.commit)
    expect(shown.tips).toContain(conflicts[0].other.commit)
    expect(await phone.conflicts(id)).toEqual(conflicts)
    expect(shown.conflicts).toEqual(conflicts)
    // A subscriber heard a snapshot that carried the conflict.
    expect(heard.some((s) => s.conflicts?.[0]?.path === '/title')).toBe(true)
    // Bob holds Alice's note but cannot sign for it: he sees the conflict too, read-only.
    const bob = await device('bob')
    await syncTo(laptop, bob, id)
    expect(await bob.conflicts(id)).toEqual(conflicts)
    await expect(bob.resolveConflict(id, { path: '/title', value: other })).rejects.toMatchObject({ code: 'ERR_NO_SIGNER' })
  })

  it('resolving with the other value on one device closes the conflict on every node that syncs the resolution', async () => {
    const { laptop, phone, id } = await offlineEdits()
    const bob = await device('bob')
    await syncTo(laptop, bob, id)
    const [conflict] = await laptop.conflicts(id)
    const resolved = await laptop.resolveConflict(id, { path: conflict.path, value: conflict.other.value })
    expect((resolved.content as { title: string }).title).toBe(conflict.other.value)
    expect(resolved.conflicts).toBeUndefined()
    expect(await laptop.conflicts(id)).toEqual([])
    for (const node of [phone, bob]) {
      await syncTo(laptop, node, id)
      expect(await node.conflicts(id)).toEqual([])
      expect(((await node.load(id)).content as { title: string }).title).toBe(conflict.other.value)
    }
    // The resolution is an ordinary commit: Ceramic's own Tile handler replays it to the same content.
    const world = new CeramicWorld()
    await world.addCar(await laptop.exportCar(id), id)
    expect((await world.view(id, resolved.tip)).content).toEqual(resolved.content)
  })

  it('keeping what the content shows closes it too, without changing the content; a new value or a removal also do', async () => {
    for (const choice of ['keep', 'new', 'remove'] as const) {
      const { laptop, phone, id } = await offlineEdits()
      const [conflict] = await phone.conflicts(id)
      const before = (await phone.load(id)).content as Record<string, unknown>
      const resolution = choice === 'keep' ? { path: '/title', value: conflict.shown.value } : choice === 'new' ? { path: '/title', value: 'agreed title' } : { path: '/title' }
      const after = await phone.resolveConflict(id, resolution)
      const expected = choice === 'keep' ? before : choice === 'new' ? { ...before, title: 'agreed title' } : { body: before.body }
      expect(after.content, choice).toEqual(expected)
      await syncTo(phone, laptop, id)
      expect(await laptop.conflicts(id), choice).toEqual([])
      expect((await laptop.load(id)).content, choice).toEqual(expected)
    }
  })

  it('a merge the document\'s schema refuses is not written: the change it would carry is reported as a conflict', async () => {
    const laptop = await device('alice')
    const phone = await device('alice')
    // At most two fields: a title plus one of x or y, never both.
    const pick = listModel('Pick', { title: { type: 'string' }, x: { type: 'integer' }, y: { type: 'integer' } }, ['title'])
    const model = await laptop.create({ type: 'model', content: { ...pick, schema: { ...(pick.schema as object), maxProperties: 2 } } })
    await syncTo(laptop, phone, model.id)
    const doc = await laptop.create({ type: 'MID', model: model.id, content: { title: 't' } })
    await syncTo(laptop, phone, doc.id)
    await laptop.update(doc.id, { content: { title: 't', x: 1 } })
    await phone.update(doc.id, { content: { title: 't', y: 2 } })
    await syncTo(phone, laptop, doc.id)
    await syncTo(laptop, phone, doc.id)
    const [a, b] = [await laptop.load(doc.id), await phone.load(doc.id)]
    expect(a.tip).toBe(b.tip)
    // No merge commit: the winner's content stands, with one field.
    expect(a.log).toHaveLength(2)
    const [kept, lost] = 'x' in (a.content as object) ? ['/x', '/y'] : ['/y', '/x']
    expect(kept).not.toBe(lost)
    for (const node of [laptop, phone]) {
      expect(await node.conflicts(doc.id)).toEqual([expect.objectContaining({ path: lost, shown: expect.objectContaining({ value: undefined }), other: expect.objectContaining({ value: lost === '/x' ? 1 : 2 }) })])
    }
    // Keeping what is shown closes it.
    await laptop.resolveConflict(doc.id, { path: lost })
    expect(await laptop.conflicts(doc.id)).toEqual([])
  })

  it('a resolution at a path that is not a JSON Pointer is refused and writes nothing', async () => {
    const { laptop, id } = await offlineEdits()
    const before = await laptop.history(id)
    await expect(laptop.resolveConflict(id, { path: 'title', value: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    expect(await laptop.history(id)).toEqual(before)
  })
})
