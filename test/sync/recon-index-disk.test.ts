/**
 * The Recon index over a disk store: the store keeps each commit's EventId as it lands, in key
 * order (issue 16: a server's index is not rebuilt from every commit at start), and the index
 * loaded from those keys is the one built from the commit records.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterAll, describe, expect, it } from 'vitest'
import { EVENT_ID_MAX, EVENT_ID_MIN, compareEventIds, decodeEventId } from '../../src/ids/event-id.js'
import { StreamID } from '../../src/ids/index.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { eventEntry, SUBLEVELS } from '../../src/store/disk-schema.js'
import { createDiskStore } from '../../src/store/disk-store.js'
import { streamEventIdPart } from '../../src/store/event-keys.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { EventKeyRecord, Store, StreamRecord } from '../../src/store/store.js'
import { createReconIndex, eventIdFor, type ReconIndex } from '../../src/sync/recon-index.js'
import { sha256aHex } from '../../src/sync/sha256a.js'
import { kilnSigner } from '../fixtures/identities.js'
import { noteModel } from '../fixtures/models.js'

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-recon-disk-'))
afterAll(() => { fs.rmSync(root, { recursive: true, force: true }) })
let count = 0
const fresh = (): string => path.join(root, `t${count++}`)

async function nodeOn (store: Store): Promise<StreamNode> {
  return createStreamNode({ store, signer: await kilnSigner('alice') })
}

/** A model, three notes of it (two updated) and an updated plain document: 8 commits, keys under both separators. */
const COMMITS = 8
async function writeSome (node: StreamNode): Promise<string[]> {
  const model = await node.create({ type: 'model', content: noteModel })
  const ids = [model.id]
  for (let i = 0; i < 3; i++) {
    const note = await node.create({ type: 'MID', model: model.id, content: { text: `note ${i}` } })
    if (i > 0) await node.update(note.id, { content: { text: `note ${i} again` } })
    ids.push(note.id)
  }
  const doc = await node.create({ content: { plain: true } })
  await node.update(doc.id, { content: { plain: false } })
  return [...ids, doc.id]
}

async function allKeys (store: Store): Promise<EventKeyRecord[]> {
  const out: EventKeyRecord[] = []
  let cursor: string | undefined
  do {
    const page = await store.listEventKeys!({ limit: 2, cursor })
    out.push(...page.items)
    cursor = page.cursor
  } while (cursor != null)
  return out
}

async function readyIndex (node: StreamNode): Promise<ReconIndex> {
  const index = createReconIndex({ node, log: () => {} })
  await index.idle()
  return index
}

/** What a peer compares: every key with what it names, and the whole range's count and hash. */
function contents (index: ReconIndex): unknown {
  const summary = index.summary(EVENT_ID_MIN, EVENT_ID_MAX)
  return { entries: index.list(EVENT_ID_MIN, EVENT_ID_MAX, 1_000), count: summary.count, hash: sha256aHex(summary.hash) }
}

/** The same store with no kept keys, as a memory or IndexedDB store is: its index builds from the commit records. */
const withoutKeys = (store: Store): Store => ({ ...store, listEventKeys: undefined })

describe('EventId keys on a disk store', () => {
  it('are written with each commit, in key order, and each is the commit\'s EventId without its network header', async () => {
    const dir = fresh()
    const store = await createDiskStore({ path: dir })
    const node = await nodeOn(store)
    const ids = await writeSome(node)
    const keys = await allKeys(store)
    const commits = (await Promise.all(ids.map(async (id) => (await node.commits(id)).map((c) => ({ stream: id, cid: c.cid }))))).flat()
    expect(keys).toHaveLength(commits.length)
    expect(keys.map((k) => ({ stream: k.stream, cid: k.cid }))).toEqual(expect.arrayContaining(commits))
    expect(keys.map((k) => k.key)).toEqual([...keys.map((k) => k.key)].sort(compareEventIds))
    // Put back the header, and each is the EventId the Recon index gives that commit.
    const index = await readyIndex(node)
    for (const k of keys) {
      const heads = (await node.heads({}, { limit: 100 })).items.find((h) => h.id === k.stream)!
      const eventId = eventIdFor(heads, k.cid)
      expect(eventId.subarray(eventId.length - k.key.length)).toEqual(k.key)
      expect(decodeEventId(eventId).eventCid.toString()).toBe(k.cid)
      expect(index.has(eventId)).toBe(true)
    }
    index.stop()
    await node.close()
  })

  it('a forgotten stream\'s keys go with it, and the others survive a restart', async () => {
    const dir = fresh()
    const written = await createDiskStore({ path: dir })
    const node = await nodeOn(written)
    const [, , gone] = await writeSome(node)
    const before = await allKeys(written)
    expect(await node.forget(gone)).toBe(true)
    await node.close()
    const store = await createDiskStore({ path: dir })
    const after = await allKeys(store)
    expect(after.some((k) => k.stream === gone)).toBe(false)
    expect(after).toEqual(before.filter((k) => k.stream !== gone))
    await store.close()
  })

  it('a store from before they were kept (schema 2) gets them on opening', async () => {
    const dir = fresh()
    const first = await createDiskStore({ path: dir })
    const node = await nodeOn(first)
    await writeSome(node)
    const written = await allKeys(first)
    await node.close()
    // Back to version 2's layout: no events sublevel.
    const db = new Level(dir)
    await db.open()
    await db.sublevel(SUBLEVELS.events).clear()
    await db.sublevel(SUBLEVELS.meta).put('schemaVersion', '2')
    await db.close()
    const store = await createDiskStore({ path: dir })
    expect(await allKeys(store)).toEqual(written)
    await store.close()
  })
})

describe('ReconIndex over a disk store', () => {
  it('loads the kept keys and holds exactly what an index built from the commit records holds', async () => {
    const dir = fresh()
    const node = await nodeOn(await createDiskStore({ path: dir }))
    await writeSome(node)
    await node.close()

    const store = await createDiskStore({ path: dir })
    const loaded = await nodeOn(store)
    const built = await nodeOn(withoutKeys(store))
    expect(loaded.allEventKeys).toBeDefined()
    expect(built.allEventKeys).toBeUndefined()
    const [fromKeys, fromCommits] = [await readyIndex(loaded), await readyIndex(built)]
    expect(fromKeys.size).toBe(COMMITS)
    expect(contents(fromKeys)).toEqual(contents(fromCommits))

    // Commits accepted after the load are indexed as they land, as in a built index.
    const later = await loaded.create({ content: { later: true } })
    await fromKeys.idle()
    expect(fromKeys.hasCommit(later.tip)).toBe(true)
    expect(fromKeys.size).toBe(COMMITS + 1)
    fromKeys.stop()
    fromCommits.stop()
    await store.close()
  })

  it('a key a store from before (schema 3) kept for a stream it no longer holds is dropped on opening', async () => {
    const dir = fresh()
    const node = await nodeOn(await createDiskStore({ path: dir }))
    await writeSome(node)
    await node.close()
    // A key left behind, as a Kiln before schema 4 left those of a forgotten tile whose controller had changed.
    const db = new Level(dir)
    await db.open()
    const events = db.sublevel(SUBLEVELS.events)
    const [[key]] = await events.iterator({ limit: 1 }).all()
    const orphanCid = CID.create(1, 0x71, await sha256.digest(new TextEncoder().encode('never stored'))).toString()
    await events.put(`${key}00`, `kjzl6kcym7w8y-not-held ${orphanCid}`)
    await db.sublevel(SUBLEVELS.meta).put('schemaVersion', '3')
    await db.close()

    const store = await createDiskStore({ path: dir })
    expect((await allKeys(store)).map((k) => k.stream)).not.toContain('kjzl6kcym7w8y-not-held')
    expect(await allKeys(store)).toHaveLength(COMMITS)
    const index = await readyIndex(await nodeOn(store))
    const built = await readyIndex(await nodeOn(withoutKeys(store)))
    expect(index.size).toBe(COMMITS)
    expect(contents(index)).toEqual(contents(built))
    index.stop()
    built.stop()
    await store.close()
  })
})

describe('EventIds of a tile whose controller changed', () => {
  /** Alice writes a tile and hands it to bob; bob's node gets it only after the change and updates it. */
  async function handedOver (): Promise<{ alice: StreamNode, bob: StreamNode, id: string, aliceDid: string, store: Store, dir: string }> {
    const dir = fresh()
    const store = await createDiskStore({ path: dir })
    const alice = await nodeOn(store)
    const bob = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob') })
    const doc = await alice.create({ content: { v: 1 } })
    await alice.update(doc.id, { content: { v: 2 } })
    await alice.update(doc.id, { header: { controllers: [bob.controller as string] } })
    await bob.importCar(await alice.exportCar(doc.id))
    await bob.update(doc.id, { content: { v: 3 } })
    await alice.importCar(await bob.exportCar(doc.id))
    return { alice, bob, id: doc.id, aliceDid: alice.controller as string, store, dir }
  }

  it('name the genesis\'s controller on every peer, however late each got the stream, so Recon finds nothing to exchange', async () => {
    const { alice, bob, id, aliceDid, store } = await handedOver()
    expect((await bob.load(id)).metadata.controllers).toEqual([bob.controller])
    const [onAlice, onBob] = [await readyIndex(alice), await readyIndex(bob)]
    expect(contents(onAlice)).toEqual(contents(onBob))
    const entries = onAlice.list(EVENT_ID_MIN, EVENT_ID_MAX, 100)
    expect(entries).toHaveLength(4)
    for (const { key, cid } of entries) expect(key).toEqual(eventIdFor({ id, controller: aliceDid }, cid))
    // The keys alice's disk store kept as the commits landed are those same keys.
    expect((await allKeys(store)).map((k) => k.cid).sort()).toEqual(entries.map((e) => e.cid).sort())
    onAlice.stop()
    onBob.stop()
    // Forgotten, the stream leaves no key behind.
    expect(await alice.forget(id)).toBe(true)
    expect(await allKeys(store)).toEqual([])
    await alice.close()
    await bob.close()
  })

  it('a store from before (schema 3) records the genesis\'s controller and rekeys the stream on opening', async () => {
    const { alice, bob, id, store, dir } = await handedOver()
    const keys = await allKeys(store)
    await alice.close()
    await bob.close()
    // Schema 3's layout: no initController, and the stream's keys under the controller each commit landed with.
    const db = new Level(dir)
    await db.open()
    const streams = db.sublevel(SUBLEVELS.streams)
    const { initController, ...record } = JSON.parse(await streams.get(id) as string) as StreamRecord
    expect(initController).toBeDefined()
    await streams.put(id, JSON.stringify(record))
    const events = db.sublevel(SUBLEVELS.events)
    await events.clear()
    const genesis = StreamID.fromString(id).cid.toString()
    for (const { cid } of keys) {
      const landedWith = cid === genesis ? { ...record, controller: initController as string } : record
      await events.put(...entryOf(streamEventIdPart(landedWith), id, cid))
    }
    await db.sublevel(SUBLEVELS.meta).put('schemaVersion', '3')
    await db.close()

    const reopened = await createDiskStore({ path: dir })
    expect((await reopened.getStream(id))?.initController).toBe(initController)
    expect(await allKeys(reopened)).toEqual(keys)
    await reopened.close()
  })
})

function entryOf (part: Uint8Array, stream: string, cid: string): [string, string] {
  const { key, value } = eventEntry(part, stream, cid)
  return [key, value]
}
