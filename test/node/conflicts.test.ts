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
    const resolved = await laptop.resolveConflict(doc.id, { path: lost })
    expect(await laptop.conflicts(doc.id)).toEqual([])
    // Ceramic's own Model instance handler replays the resolution (its marker names what it settles).
    const world = new CeramicWorld()
    await world.addCar(await laptop.exportCar(model.id), model.id)
    await world.addCar(await laptop.exportCar(doc.id), doc.id)
    expect((await world.view(doc.id, resolved.tip)).content).toEqual(resolved.content)
  })

  it('a `test` of the path that names no branch (a marker without `settles`) closes the conflict with every branch', async () => {
    const { laptop, phone, id } = await offlineEdits()
    const [conflict] = await laptop.conflicts(id)
    await laptop.update(id, { patch: [{ op: 'test', path: '/title', value: conflict.shown.value }] })
    expect(await laptop.conflicts(id)).toEqual([])
    await syncTo(laptop, phone, id)
    expect(await phone.conflicts(id)).toEqual([])
  })

  it('a resolution at a path that is not a JSON Pointer is refused and writes nothing', async () => {
    const { laptop, id } = await offlineEdits()
    const before = await laptop.history(id)
    await expect(laptop.resolveConflict(id, { path: 'title', value: 'x' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    expect(await laptop.history(id)).toEqual(before)
  })
})

type Change = Parameters<StreamNode['update']>[1]

/** Every node's branches of the stream reach every other node, round after round, until all hold the same ones. */
async function syncAll (nodes: StreamNode[], id: string): Promise<void> {
  for (let round = 0; round < 6; round++) {
    for (const from of nodes) for (const to of nodes) if (from !== to) await syncTo(from, to, id)
    const views = await Promise.all(nodes.map(async (n) => await n.load(id)))
    if (views.every((v) => v.tip === views[0].tip && [...v.tips].sort().join() === [...views[0].tips].sort().join())) return
  }
  throw new Error('the nodes did not converge')
}

/**
 * One account's devices start from `content`, each makes its change while all are offline, then
 * they sync. Returns the devices, the stream, what every device's subscriber heard, and each
 * device's own offline version.
 */
async function diverge (content: Record<string, unknown>, ...changes: Change[]): Promise<{ devices: StreamNode[], id: string, heard: StreamSnapshot[][], versions: StreamSnapshot[] }> {
  const devices = await Promise.all(changes.map(async () => await device('alice')))
  const note = await devices[0].create({ content })
  for (const other of devices.slice(1)) await syncTo(devices[0], other, note.id)
  const versions: StreamSnapshot[] = []
  for (const [i, change] of changes.entries()) versions.push(await devices[i].update(note.id, change))
  const heard = devices.map((node) => { const got: StreamSnapshot[] = []; node.subscribe(note.id, (s) => { got.push(s) }); return got })
  await syncAll(devices, note.id)
  return { devices, id: note.id, heard, versions }
}

/** Every device shows the same content and reports the same conflicts; returns them. */
async function agreed (devices: StreamNode[], id: string): Promise<{ content: Record<string, unknown>, conflicts: Awaited<ReturnType<StreamNode['conflicts']>> }> {
  const [first, ...rest] = devices
  const shown = await first.load(id)
  const conflicts = await first.conflicts(id)
  for (const node of rest) {
    const here = await node.load(id)
    expect(here.tip).toBe(shown.tip)
    expect(here.content).toEqual(shown.content)
    expect(await node.conflicts(id)).toEqual(conflicts)
  }
  expect(shown.conflicts ?? []).toEqual(conflicts)
  return { content: shown.content as Record<string, unknown>, conflicts }
}

/** Resolves on `devices[at]` with `value`, syncs, and checks every device shows it with no conflict left. */
async function resolvedEverywhere (devices: StreamNode[], id: string, at: number, path: string, value: unknown): Promise<Record<string, unknown>> {
  await devices[at].resolveConflict(id, { path, value })
  await syncAll(devices, id)
  const { content, conflicts } = await agreed(devices, id)
  expect(conflicts).toEqual([])
  return content
}

describe('conflicts: the cases of issue 20', () => {
  it('a delete on one device and an edit on the other is a conflict on both; either choice closes it everywhere', async () => {
    for (const pick of ['edit', 'delete'] as const) {
      const { devices, id, heard } = await diverge({ title: 'draft', body: 'text' },
        { patch: [{ op: 'remove', path: '/body' }] },
        { patch: [{ op: 'replace', path: '/body', value: 'edited body' }, { op: 'replace', path: '/title', value: 'phone title' }] })
      const { content, conflicts } = await agreed(devices, id)
      // The title only the phone changed merges; the body both changed is the conflict.
      expect(content.title).toBe('phone title')
      expect(conflicts).toHaveLength(1)
      const [conflict] = conflicts
      expect(conflict).toMatchObject({ stream: id, path: '/body', base: 'text' })
      expect([conflict.shown.value, conflict.other.value].sort()).toEqual([undefined, 'edited body'].sort())
      expect(content.body).toBe(conflict.shown.value)
      for (const got of heard) expect(got.some((s) => s.conflicts?.[0]?.path === '/body')).toBe(true)
      const after = await resolvedEverywhere(devices, id, 0, '/body', pick === 'edit' ? 'edited body' : undefined)
      expect(after, pick).toEqual(pick === 'edit' ? { title: 'phone title', body: 'edited body' } : { title: 'phone title' })
    }
  })

  it('when every edit of the losing device clashes (no merge to write), both devices\' subscribers still hear of the conflict', async () => {
    const { devices, id, heard } = await diverge({ title: 'draft' }, { content: { title: 'laptop title' } }, { content: { title: 'phone title' } })
    const { conflicts } = await agreed(devices, id)
    expect(conflicts.map((c) => c.path)).toEqual(['/title'])
    // No merge commit: the winner's tip stays canonical, only a branch arrived.
    expect((await devices[0].load(id)).log).toHaveLength(2)
    for (const got of heard) expect(got.at(-1)?.conflicts).toEqual(conflicts)
  })

  it('appends to one array on both devices merge: every item is kept, on both, with no conflict', async () => {
    const { devices, id, versions } = await diverge({ items: ['first'] },
      { patch: [{ op: 'add', path: '/items/-', value: 'laptop' }] },
      { patch: [{ op: 'add', path: '/items/-', value: 'phone' }, { op: 'add', path: '/items/-', value: 'phone 2' }] })
    const { content, conflicts } = await agreed(devices, id)
    expect(conflicts).toEqual([])
    // The winner's items come first, then the other device's.
    const winnerIsLaptop = (await devices[0].load(id)).log.some((e) => e.cid === versions[0].tip)
    expect(content.items).toEqual(winnerIsLaptop ? ['first', 'laptop', 'phone', 'phone 2'] : ['first', 'phone', 'phone 2', 'laptop'])
  })

  it('an edit of an array element on one device and its removal on the other is one conflict at the array, with both lists', async () => {
    const { devices, id } = await diverge({ items: ['a', 'b', 'c'], n: 1 },
      { patch: [{ op: 'replace', path: '/items/1', value: 'B' }] },
      { patch: [{ op: 'remove', path: '/items/1' }, { op: 'replace', path: '/n', value: 2 }] })
    const { content, conflicts } = await agreed(devices, id)
    expect(content.n).toBe(2)
    expect(conflicts).toHaveLength(1)
    const [conflict] = conflicts
    expect(conflict).toMatchObject({ path: '/items', base: ['a', 'b', 'c'] })
    expect([conflict.shown.value, conflict.other.value]).toEqual(expect.arrayContaining([['a', 'B', 'c'], ['a', 'c']]))
    expect(content.items).toEqual(conflict.shown.value)
    // Keeping the list the content does not show closes it on both and shows that list.
    const after = await resolvedEverywhere(devices, id, 1, '/items', conflict.other.value)
    expect(after).toEqual({ items: conflict.other.value, n: 2 })
  })

  it('a change inside an object the other device removed (a patch that no longer applies) is a conflict at the object, and reaches subscribers', async () => {
    const { devices, id, heard } = await diverge({ title: 'trip', meta: { lang: 'en', tags: ['x'] } },
      { patch: [{ op: 'replace', path: '/meta/lang', value: 'fr' }] },
      { patch: [{ op: 'remove', path: '/meta' }] })
    const { content, conflicts } = await agreed(devices, id)
    expect(conflicts).toHaveLength(1)
    const [conflict] = conflicts
    expect(conflict).toMatchObject({ path: '/meta', base: { lang: 'en', tags: ['x'] } })
    expect([conflict.shown.value, conflict.other.value]).toEqual(expect.arrayContaining([undefined, { lang: 'fr', tags: ['x'] }]))
    expect(content.meta).toEqual(conflict.shown.value)
    for (const got of heard) expect(got.some((s) => s.conflicts?.[0]?.path === '/meta')).toBe(true)
    // A resolution inside an object the content lacks is refused, and writes nothing.
    if (content.meta === undefined) {
      const before = await devices[0].history(id)
      await expect(devices[0].resolveConflict(id, { path: '/meta/lang', value: 'fr' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      expect(await devices[0].history(id)).toEqual(before)
    }
    const after = await resolvedEverywhere(devices, id, 0, '/meta', { lang: 'fr', tags: ['x'] })
    expect(after).toEqual({ title: 'trip', meta: { lang: 'fr', tags: ['x'] } })
  })

  it('three devices: every device reports the same conflicts, one resolution closes them on all three', async () => {
    const { devices, id, heard } = await diverge({ title: 'draft', body: 'text', done: false },
      { content: { title: 'laptop title', body: 'text', done: false } },
      { content: { title: 'phone title', body: 'phone body', done: false } },
      { content: { title: 'tablet title', body: 'text', done: true } })
    const { content, conflicts } = await agreed(devices, id)
    // What only one device changed merges; the title all three changed is reported once per other branch.
    expect(content).toMatchObject({ body: 'phone body', done: true })
    const titles = ['laptop title', 'phone title', 'tablet title']
    expect(conflicts.map((c) => c.path)).toEqual(['/title', '/title'])
    for (const conflict of conflicts) expect(conflict).toMatchObject({ base: 'draft', shown: { value: content.title } })
    expect([content.title, ...conflicts.map((c) => c.other.value)].sort()).toEqual(titles)
    for (const got of heard) expect(got.some((s) => s.conflicts?.length === 2)).toBe(true)
    const after = await resolvedEverywhere(devices, id, 2, '/title', conflicts[0].other.value)
    expect(after).toEqual({ title: conflicts[0].other.value, body: 'phone body', done: true })
  })
})

describe('conflicts: a branch that arrives after a resolution', () => {
  it('a device that edited the same field but was away while the others resolved it still gets its edit reported', async () => {
    const [laptop, phone, tablet] = await Promise.all(['alice', 'alice', 'alice'].map(device))
    const note = await laptop.create({ content: { title: 'draft' } })
    for (const other of [phone, tablet]) await syncTo(laptop, other, note.id)
    await laptop.update(note.id, { content: { title: 'laptop title' } })
    await phone.update(note.id, { content: { title: 'phone title' } })
    await tablet.update(note.id, { content: { title: 'tablet title' } })
    // The laptop and the phone meet and settle the title; the tablet is still away.
    await syncAll([laptop, phone], note.id)
    await resolvedEverywhere([laptop, phone], note.id, 0, '/title', 'agreed title')
    // The tablet comes back: nobody chose against its title, so it is a conflict, not lost.
    await syncAll([laptop, phone, tablet], note.id)
    const { content, conflicts } = await agreed([laptop, phone, tablet], note.id)
    expect(content.title).toBe('agreed title')
    expect(conflicts).toEqual([expect.objectContaining({ path: '/title', shown: expect.objectContaining({ value: 'agreed title' }), other: expect.objectContaining({ value: 'tablet title' }) })])
    // Settled from the tablet, it closes everywhere; the earlier branches stay settled.
    expect(await resolvedEverywhere([laptop, phone, tablet], note.id, 2, '/title', 'tablet title')).toEqual({ title: 'tablet title' })
  })
})
