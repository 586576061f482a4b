import { describe, expect, it } from 'vitest'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { RECON_FIRST_CHUNK, RECON_MAX_KEYS_PER_RANGE } from '../../src/sync/constants.js'
import { FULL_RANGE, createReconIndex } from '../../src/sync/recon-index.js'
import { reconcileWith } from '../../src/sync/recon-protocol.js'
import { noteModel } from '../fixtures/models.js'
import { type TestPeer, connect, contents, converged, peersStoppedAfterEach, waitFor } from './peers.js'

const messages = (p: TestPeer): number => (p.sync.status().recon?.sent ?? 0) + (p.sync.status().recon?.received ?? 0)
const count = async (p: TestPeer): Promise<number> => Object.keys(await contents(p.node)).length

const peer = peersStoppedAfterEach()

/** `count` one-commit streams on `p`, 250 to a store transaction. */
async function writeStreams (p: TestPeer, count: number): Promise<void> {
  for (let at = 0; at < count; at += 250) {
    await p.node.writeMany(Array.from({ length: Math.min(250, count - at) }, (_, i) => ({ create: { content: { n: at + i } } })))
  }
}
const STREAMS = 1_000

/** A server of STREAMS streams and a fresh node connected to it. */
async function freshBesideServer (name: string): Promise<{ server: TestPeer, fresh: TestPeer }> {
  const server = await peer(`${name}-server`, { signerName: 'alice' })
  await writeStreams(server, STREAMS)
  const fresh = await peer(`${name}-fresh`, { signerName: 'bob' })
  await connect(fresh, server)
  return { server, fresh }
}

describe('sync: Recon', () => {
  it('two nodes with 300 streams each, 50 shared, converge; then a round between equal sets costs one message each way', async () => {
    const a = await peer('recon-a')
    const b = await peer('recon-b')
    // Shared streams reach b as CARs, before any connection.
    for (let i = 0; i < 50; i++) {
      const s = await a.node.create({ content: { shared: i } })
      await b.node.importCar(await a.node.exportCar(s.id))
    }
    for (let i = 0; i < 250; i++) {
      await a.node.create({ content: { a: i } })
      await b.node.create({ content: { b: i } })
    }
    expect([await count(a), await count(b)]).toEqual([300, 300])

    await connect(a, b)
    await waitFor(async () => await converged(a.node, b.node), 'both nodes to hold the same 550 streams', 60_000)
    expect(await count(a)).toBe(550)
    const differing = messages(a)

    await a.sync.syncNow()
    await b.sync.syncNow()
    const before = messages(a)
    await a.sync.syncNow()
    // a's round: one range message and one empty answer; nothing else crossed in either role.
    expect(messages(a) - before).toBe(2)
    console.log(`recon messages: ${differing} while differing (550 keys), ${messages(a) - before} per round once equal`)
  }, 120_000)

  it('a fresh node catching up many streams stores each as one run and announces none; a small catch-up is announced', async () => {
    const server = await peer('history-server', { signerName: 'alice' })
    const streams = 120 // above CATCH_UP_ANNOUNCED_STREAMS
    for (let i = 0; i < streams; i++) {
      const s = await server.node.create({ content: { i } })
      await server.node.update(s.id, { content: { i, v: 2 } })
      await server.node.update(s.id, { content: { i, v: 3 } })
    }
    const fresh = await peer('history-fresh', { signerName: 'bob' })
    const runs: string[] = []
    fresh.node.onCommit((event) => { runs.push(event.id) })
    await connect(fresh, server)
    // status().syncing says data is still arriving: seen while catching up, cleared after.
    let sawSyncing = false
    await waitFor(async () => { sawSyncing ||= fresh.sync.status().syncing; return await converged(fresh.node, server.node) }, 'the fresh node to hold every stream', 60_000)
    expect(sawSyncing).toBe(true)
    await waitFor(() => !fresh.sync.status().syncing, 'the catch-up round to end')
    expect(runs).toHaveLength(streams)
    expect(new Set(runs).size).toBe(streams)
    expect(fresh.sync.status().gossip.published).toBe(0)

    // Back from offline with two new streams: a small catch-up, so the server tells the network.
    await fresh.goOffline()
    const published = server.sync.status().gossip.published
    await fresh.node.create({ content: { offline: 1 } })
    await fresh.node.create({ content: { offline: 2 } })
    await fresh.goOnline()
    await connect(fresh, server)
    await waitFor(async () => await converged(fresh.node, server.node), 'the server to get the offline writes')
    await waitFor(() => server.sync.status().gossip.published === published + 2, 'the server to announce both')
  }, 120_000)

  it('a fresh node\'s session hears one range\'s keys first, so their fetch starts before thousands more are listed', async () => {
    const { server, fresh } = await freshBesideServer('first-keys')
    // A session of its own, from an empty index, as a fresh node's first round is.
    const empty = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('carol') })
    const index = createReconIndex({ node: empty, log: () => {} })
    const chunks: number[] = []
    const rest = await reconcileWith({ libp2p: fresh.libp2p, index, stats: { sessions: 0, initiated: 0, sent: 0, received: 0, keysSent: 0 } },
      server.libp2p.peerId, [FULL_RANGE], undefined, (chunk) => { chunks.push(chunk.size) })
    index.stop()
    await empty.close()
    // 1,000 keys split in four ranges of ~250: the first answer with keys lists one of them, not all four.
    expect(chunks[0]).toBeGreaterThanOrEqual(RECON_FIRST_CHUNK)
    expect(chunks[0]).toBeLessThanOrEqual(RECON_MAX_KEYS_PER_RANGE)
    expect(chunks.reduce((n, c) => n + c, 0) + rest.size).toBe(STREAMS)
  }, 60_000)

  it('a fresh node catching up hears each key once: the server\'s own session with it does not list them again', async () => {
    const { server, fresh } = await freshBesideServer('once')
    await waitFor(async () => await converged(fresh.node, server.node), 'the fresh node to hold every stream', 60_000)
    await waitFor(() => !fresh.sync.status().syncing && !server.sync.status().syncing, 'both rounds to end')
    // Both start a round on connect; each listing every key would send the server's 1,000 twice.
    const listed = server.sync.status().recon?.keysSent ?? 0
    console.log(`keys the server listed while a fresh node caught up ${STREAMS}: ${listed}`)
    expect(listed).toBeGreaterThanOrEqual(STREAMS)
    expect(listed).toBeLessThan(STREAMS * 1.5)
    expect(fresh.sync.status().recon?.keysSent).toBe(0)
  }, 60_000)

  it('a device with narrow interests answers Recon: a server gets what it wrote offline, and the device takes nothing it did not ask for, nor hears it listed', async () => {
    const server = await peer('narrow-server', { signerName: 'carol' })
    const others = await server.node.create({ content: { not: 'for the device' } })
    for (let i = 0; i < 299; i++) await server.node.create({ content: { i } })
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('dave') })
    const device = await peer('narrow-device', { node, interests: [{ controller: node.controller as string }] })
    await device.goOffline()
    const offline = await node.create({ content: { written: 'offline' } })
    await device.goOnline()
    await connect(device, server)
    await waitFor(async () => (await contents(server.node))[offline.id]?.tip === offline.tip, 'the server to reconcile the offline write from the device')
    expect(server.sync.status().recon?.sessions).toBeGreaterThan(0)
    await device.sync.syncNow()
    expect(Object.keys(await contents(device.node))).toEqual([offline.id])
    expect((await contents(device.node))[others.id]).toBeUndefined()
    // Each session the server started cost the device one message each way: it listed its own key
    // without asking for the server's 300.
    const recon = device.sync.status().recon
    expect(recon?.initiated).toBe(0)
    expect(recon?.received).toBe(recon?.sessions)
    expect(recon?.sent).toBe(recon?.sessions)
  }, 60_000)

  it('a node interested in one Model reconciles that Model\'s key range by Recon and stores only its instances', async () => {
    const server = await peer('model-server', { signerName: 'carol' })
    const notes = await server.node.create({ type: 'model', content: noteModel })
    const other = await server.node.create({ type: 'model', content: { ...noteModel, name: 'Other' } })
    const wanted: string[] = []
    for (let i = 0; i < 3; i++) wanted.push((await server.node.create({ type: 'MID', model: notes.id, content: { text: `note ${i}` } })).id)
    for (let i = 0; i < 2; i++) await server.node.create({ type: 'MID', model: other.id, content: { text: `other ${i}` } })
    await server.node.create({ content: { tile: true } })

    const indexer = await peer('model-indexer', { interests: [{ model: notes.id }] })
    await connect(indexer, server)
    await waitFor(async () => { const held = await contents(indexer.node); return wanted.every((id) => held[id] != null) }, 'the indexer to hold the Model\'s instances')
    await indexer.sync.syncNow()
    // The instances and their Model (fetched as their dependency); nothing else.
    expect(Object.keys(await contents(indexer.node)).sort()).toEqual([...wanted, notes.id].sort())
    expect(indexer.sync.status().recon?.initiated).toBeGreaterThan(0)
  }, 60_000)

  it('a follow\'s catch-up progress: commits found on the peer are pending until fetched, then counted as fetched', async () => {
    const server = await peer('progress-server', { signerName: 'carol' })
    const notes = await server.node.create({ type: 'model', content: noteModel })
    const docs = 40
    for (let i = 0; i < docs; i++) {
      const doc = await server.node.create({ type: 'MID', model: notes.id, content: { text: `note ${i}` } })
      if (i % 4 === 0) await server.node.update(doc.id, { content: { text: `note ${i}, edited` } })
    }
    const commits = docs + docs / 4
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('erin') })
    const seenPending: number[] = []
    const follower = await peer('progress-follower', { node, interests: [{ model: notes.id }] })
    // What a page polling `follows()` would see while documents arrive: some still pending.
    node.onCommit(() => { seenPending.push(follower.sync.progress({ model: notes.id })?.pending ?? -1) })
    expect(follower.sync.progress({ model: notes.id })).toEqual({ pending: 0, fetched: 0 })
    await connect(follower, server)
    await waitFor(async () => await node.count({ model: notes.id }) === docs, 'the follower to hold every note')
    await waitFor(() => !follower.sync.status().syncing, 'the catch-up round to end')
    expect(follower.sync.progress({ model: notes.id })).toEqual({ pending: 0, fetched: commits })
    // Every note needed the Model, which the follower did not hold: one fetch of it served them all.
    expect(follower.sync.status().failed).toBe(0)
    expect(seenPending[0]).toBeGreaterThan(0)
    expect(Math.max(...seenPending)).toBeLessThanOrEqual(commits)
    // One account's documents of the Model are caught up within the Model's range.
    expect(follower.sync.progress({ model: notes.id, controller: server.node.controller as string })).toEqual({ pending: 0, fetched: commits })
    // A stream list is not a key range: heads sync serves it, with no range progress.
    expect(follower.sync.progress({ streams: [notes.id] })).toBeUndefined()
  }, 60_000)
})
