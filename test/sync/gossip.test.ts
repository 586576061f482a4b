import { describe, expect, it } from 'vitest'
import type { StreamSnapshot } from '../../src/api/types.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { BLOCK_PROTOCOLS } from '../../src/sync/constants.js'
import { ownAndHeldInterests } from '../../src/sync/interests.js'
import { kilnSigner } from '../fixtures/identities.js'
import { noteModel } from '../fixtures/models.js'
import { connect, contents, converged, peersStoppedAfterEach, waitFor } from './peers.js'

const peer = peersStoppedAfterEach()

describe('sync: gossip between peers over WebSockets', () => {
  it('a write on A reaches B by gossip and fires B\'s subscriber', async () => {
    const a = await peer('alice')
    const b = await peer('bob')
    await connect(a, b)
    const seen: StreamSnapshot[] = []
    b.node.subscribe({ family: 'notes' }, (s) => seen.push(s))
    const created = await a.node.create({ content: { title: 'hello' }, family: 'notes' })
    await waitFor(() => seen.some((s) => s.id === created.id), 'B to hear about the new stream')
    const updated = await a.node.update(created.id, { content: { title: 'hello again' } })
    await waitFor(() => seen.some((s) => s.tip === updated.tip), 'B to hear about the update')
    expect((await b.node.load(created.id)).content).toEqual({ title: 'hello again' })
    // Delivered by gossip: the periodic catch-up is 10 minutes away.
    expect(b.sync.status().gossip.received).toBeGreaterThanOrEqual(2)
    expect(b.sync.status().synced).toBe(2)
    expect(a.sync.status().gossip.published).toBe(2)
  })

  it('a MID whose Model B lacks is fetched with its Model', async () => {
    const a = await peer('alice')
    const b = await peer('bob')
    await connect(a, b)
    b.libp2p.services.pubsub.unsubscribe('/kiln/dev') // B misses the Model's announcement…
    const model = await a.node.create({ type: 'model', content: noteModel })
    await new Promise((resolve) => setTimeout(resolve, 300))
    b.libp2p.services.pubsub.subscribe('/kiln/dev') // …but hears the MID's
    await waitFor(() => a.libp2p.services.pubsub.getSubscribers('/kiln/dev').some((p) => p.equals(b.libp2p.peerId)), 'B to resubscribe')
    const note = await a.node.create({ type: 'MID', model: model.id, content: { text: 'hi' } })
    await waitFor(async () => (await contents(b.node))[note.id] != null, 'B to store the MID')
    expect((await b.node.load(note.id)).content).toEqual({ text: 'hi' })
    expect((await b.node.load(model.id)).id).toBe(model.id)
  })

  it('three nodes in a line A–S–B: A\'s write reaches B through S', async () => {
    const a = await peer('alice', { listen: false }) // a browser: dials only
    const s = await peer('server', { relay: true })
    const b = await peer('bob', { listen: false })
    await connect(a, s)
    await connect(b, s)
    expect(a.libp2p.getConnections(b.libp2p.peerId)).toHaveLength(0)
    const created = await a.node.create({ content: { hop: 1 } })
    await waitFor(async () => (await contents(b.node))[created.id]?.tip === created.tip, 'B to get A\'s stream through S')
    const reply = await b.node.create({ content: { hop: 2 } })
    await waitFor(async () => (await contents(a.node))[reply.id]?.tip === reply.tip, 'A to get B\'s stream through S')
    expect(await contents(s.node)).toEqual(await contents(a.node))
    expect(await contents(b.node)).toEqual(await contents(a.node))
  })

  it('a small commit travels inside its announcement: A–S–B with nobody serving blocks, B still gets it; a big one is left to fetching', async () => {
    const a = await peer('alice', { listen: false })
    const s = await peer('server', { relay: true })
    const b = await peer('bob', { listen: false })
    await connect(a, s)
    await connect(b, s)
    // From here no node answers a block request: whatever arrives came inside an UPDATE.
    for (const p of [a, s, b]) await p.libp2p.unhandle([...BLOCK_PROTOCOLS])
    const created = await a.node.create({ content: { title: 'carried' } })
    await waitFor(async () => (await contents(b.node))[created.id]?.tip === created.tip, 'B to store A\'s new stream from the announcements')
    const updated = await a.node.update(created.id, { content: { title: 'carried again' } })
    await waitFor(async () => (await contents(b.node))[created.id]?.tip === updated.tip, 'B to store A\'s update from the announcements')
    expect((await b.node.load(created.id)).content).toEqual({ title: 'carried again' })
    expect(s.sync.status().gossip.carried).toBe(2)
    expect(b.sync.status().gossip.carried).toBe(2)

    const failedBefore = s.sync.status().failed
    const big = await a.node.update(created.id, { content: { title: 'big', body: 'x'.repeat(6_000) } })
    await waitFor(() => s.sync.status().failed > failedBefore, 'S to try fetching the big update from A, and fail')
    expect((await contents(s.node))[created.id]?.tip).not.toBe(big.tip)
    expect(s.sync.status().gossip.carried).toBe(2)
  })

  it('a node fetches only what its interests cover, by gossip and by catch-up', async () => {
    const alice = await peer('alice')
    const carol = await peer('carol')
    const aliceDid = alice.node.controller as string
    const before = await alice.node.create({ content: { early: true } })
    await carol.node.create({ content: { early: true } })
    const bob = await peer('bob', { interests: [{ controller: aliceDid }] })
    await connect(bob, alice)
    await connect(bob, carol)
    await waitFor(async () => (await contents(bob.node))[before.id] != null, 'catch-up to bring alice\'s earlier stream')
    const wanted = await alice.node.create({ content: { late: true } })
    const unwanted = await carol.node.create({ content: { late: true } })
    await waitFor(async () => (await contents(bob.node))[wanted.id] != null, 'gossip to bring alice\'s new stream')
    await waitFor(() => bob.sync.status().gossip.received >= 2, 'bob to hear carol\'s announcement too')
    await bob.sync.syncNow() // and let it be handled (a heads request to carol, then dropped)
    expect(Object.keys(await contents(bob.node)).sort()).toEqual([before.id, wanted.id].sort())
    expect((await contents(bob.node))[unwanted.id]).toBeUndefined()
  })

  it('a device wanting only its own streams loads another on demand, then keeps it current by gossip and by catch-up', async () => {
    const carol = await peer('carol')
    const mine = await carol.node.create({ content: { by: 'carol' } })
    const dave = await peer('dave')
    const theirs = await dave.node.create({ content: { by: 'dave', v: 1 } })
    // Carol's second device: it wants what a browser wants, her account's streams plus what it holds.
    const phone = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('carol') })
    const bob = await peer('carol-phone', { node: phone, interests: async () => await ownAndHeldInterests(phone, [phone.controller as string]) })
    await connect(bob, carol)
    await connect(bob, dave)
    await waitFor(async () => (await contents(bob.node))[mine.id] != null, 'catch-up to bring the own account\'s stream')
    await bob.sync.syncNow()
    expect((await contents(bob.node))[theirs.id]).toBeUndefined()

    expect(await bob.sync.fetchStream(theirs.id)).toBe(true)
    expect((await bob.node.load(theirs.id)).content).toEqual({ by: 'dave', v: 1 })
    const nowhere = await createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('erin') }).create({ content: { offline: true } })
    expect(await bob.sync.fetchStream(nowhere.id)).toBe(false)

    const live = await dave.node.update(theirs.id, { content: { by: 'dave', v: 2 } })
    await waitFor(async () => (await contents(bob.node))[theirs.id]?.tip === live.tip, 'gossip to keep the fetched stream current')
    await bob.goOffline()
    const missed = await dave.node.update(theirs.id, { content: { by: 'dave', v: 3 } })
    await bob.goOnline()
    await connect(bob, dave)
    await waitFor(async () => (await contents(bob.node))[theirs.id]?.tip === missed.tip, 'catch-up to bring what gossip could not')
  })

  it('a stream asked for right after start is fetched once the first configured server connects', async () => {
    const server = await peer('first-server')
    const wanted = await server.node.create({ content: { early: 'load' } })
    const device = await peer('first-device', { listen: false, interests: [{ controller: 'did:key:z6MkNobody' }], bootstrap: [server.libp2p.getMultiaddrs()[0].toString()] })
    expect(device.sync.status().peers).toHaveLength(0)
    expect(await device.sync.fetchStream(wanted.id)).toBe(true)
    expect((await device.node.load(wanted.id)).content).toEqual({ early: 'load' })
  })

  it('a write nobody heard (no gossip subscriber yet) reaches the peers by a catch-up right after, not the periodic round', async () => {
    const server = await peer('unheard-server')
    const device = await peer('unheard-device', { listen: false })
    server.libp2p.services.pubsub.unsubscribe('/kiln/dev') // as before the gossip mesh forms
    await device.libp2p.dial(server.libp2p.getMultiaddrs()[0])
    await waitFor(() => device.sync.status().peers.length === 1 && server.sync.status().peers.length === 1, 'both to see each other as sync peers')
    await device.sync.syncNow()
    const written = await device.node.create({ content: { unheard: true } })
    await waitFor(async () => (await contents(server.node))[written.id]?.tip === written.tip, 'the write to reach the server', 10_000)
    expect(server.sync.status().gossip.received).toBe(0)
  })

  it('followed streams (a list of ids) whose gossip is lost are caught up by the periodic rounds that pull the lists', async () => {
    const source = await peer('list-source')
    const followed = await source.node.create({ content: { v: 1 } })
    const follower = await peer('list-follower', { listen: false, interests: [{ streams: [followed.id] }], syncIntervalMs: 100 })
    await connect(follower, source)
    await waitFor(async () => (await contents(follower.node))[followed.id] != null, 'the first round to bring the followed stream')
    follower.libp2p.services.pubsub.unsubscribe('/kiln/dev')
    const missed = await source.node.update(followed.id, { content: { v: 2 } })
    await waitFor(async () => (await contents(follower.node))[followed.id]?.tip === missed.tip, 'a periodic round with the lists to bring the update')
    expect(follower.sync.status().gossip.received).toBe(0)
  })

  it('gossip lost: B was not subscribed while A wrote; catch-up still converges', async () => {
    const a = await peer('alice')
    const b = await peer('bob', { syncIntervalMs: 500 })
    await connect(a, b)
    b.libp2p.services.pubsub.unsubscribe('/kiln/dev')
    const created = await a.node.create({ content: { n: 0 } })
    for (let n = 1; n <= 3; n++) await a.node.update(created.id, { content: { n } })
    const others = await Promise.all([1, 2, 3].map(async (i) => await a.node.create({ content: { other: i } })))
    expect(b.sync.status().gossip.received).toBe(0)
    await waitFor(async () => await converged(b.node, a.node), 'B to catch up by heads-sync')
    expect((await b.node.load(created.id)).content).toEqual({ n: 3 })
    expect(others).toHaveLength(3)
    expect(b.sync.status().lastSyncAt).toBeGreaterThan(0)
  })
})
