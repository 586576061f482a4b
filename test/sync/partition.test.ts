import { describe, expect, it } from 'vitest'
import { connect, contents, converged, peersStoppedAfterEach, waitFor } from './peers.js'

const peer = peersStoppedAfterEach()

describe('sync: partitions heal', () => {
  it.each(['recon', 'heads'] as const)('two devices write offline to the same stream and to new ones; after reconnecting both hold every write and agree (%s)', async (reconcile) => {
    // Two devices of one user (same did:key), each with its own node and store.
    const laptop = await peer('laptop', { signerName: 'alice', reconcile })
    const phone = await peer('phone', { signerName: 'alice', reconcile })
    await connect(phone, laptop)
    const shared = await laptop.node.create({ content: { v: 0 } })
    await waitFor(async () => (await contents(phone.node))[shared.id] != null, 'the phone to get the shared stream')

    await phone.goOffline()
    await waitFor(() => laptop.sync.status().peers.length === 0, 'the laptop to see the phone leave')
    // Each edits a field of its own: after the merge the document holds both edits.
    const onLaptop = await laptop.node.update(shared.id, { patch: [{ op: 'add', path: '/laptop', value: 'offline edit' }] })
    const laptopNew = await laptop.node.create({ content: { made: 'laptop' } })
    const onPhone = await phone.node.update(shared.id, { patch: [{ op: 'add', path: '/phone', value: 'offline edit' }] })
    const phoneNew = await phone.node.create({ content: { made: 'phone' } })
    const phoneNewer = await phone.node.update(phoneNew.id, { content: { made: 'phone', again: true } })

    await phone.goOnline()
    await connect(phone, laptop)
    // Converged once both agree on a tip past both offline writes: the losing write merged into the winner.
    await waitFor(async () => {
      if (!await converged(phone.node, laptop.node)) return false
      const tip = (await laptop.node.load(shared.id)).tip
      return tip !== onLaptop.tip && tip !== onPhone.tip
    }, 'both devices to converge on one tip holding both writes')

    const state = await contents(laptop.node)
    expect(Object.keys(state).sort()).toEqual([shared.id, laptopNew.id, phoneNew.id].sort())
    // The same canonical tip on both sides. The device whose write lost the conflict rule merged it
    // into the winner (one commit it signed), so neither write is lost; the losing original stays
    // stored as a tip.
    const a = await laptop.node.load(shared.id)
    const b = await phone.node.load(shared.id)
    expect(a.tip).toBe(b.tip)
    expect(a.content).toEqual(b.content)
    const winner = a.log.some((e) => e.cid === onLaptop.tip) ? onLaptop : onPhone
    const loser = winner === onLaptop ? onPhone : onLaptop
    expect(a.log.map((e) => e.cid)).toContain(winner.tip)
    expect(a.content).toEqual({ v: 0, laptop: 'offline edit', phone: 'offline edit' })
    expect(state[shared.id].tips).toEqual([loser.tip, a.tip].sort())
    expect((await laptop.node.load(loser.commitId)).content).toEqual(loser.content)
    expect((await phone.node.load(loser.commitId)).content).toEqual(loser.content)
    expect(state[phoneNew.id].tip).toBe(phoneNewer.tip)
    expect((await laptop.node.load(laptopNew.id)).content).toEqual({ made: 'laptop' })
    if (reconcile === 'recon') expect(laptop.sync.status().recon?.sessions).toBeGreaterThan(0)
    else expect(laptop.sync.status().recon).toBeUndefined()
    expect(laptop.sync.status().invalid + phone.sync.status().invalid).toBe(0)
  }, 60_000)

  it('a peer that was down while many streams changed catches up in pages', async () => {
    const server = await peer('server')
    const device = await peer('device', { signerName: 'alice' })
    const writer = await peer('writer', { signerName: 'alice' })
    await connect(writer, server)
    // 150 streams: more than one heads page (100).
    for (let i = 0; i < 150; i++) await writer.node.create({ content: { i } })
    await waitFor(async () => Object.keys(await contents(server.node)).length === 150, 'the server to hold 150 streams')
    await connect(device, server)
    await waitFor(async () => Object.keys(await contents(device.node)).length === 150, 'the device to catch up with 150 streams', 30_000)
    expect(await contents(device.node)).toEqual(await contents(writer.node))
  }, 60_000)

  it('a connection that closes while identify is still being told about is not kept as a sync peer', async () => {
    const laptop = await peer('laptop')
    const phone = await peer('phone')
    // A topology on a protocol that sorts before Kiln's: the registrar tells it first and waits, so
    // the connection closes (and its disconnect is told) before sync hears of the identify.
    await laptop.libp2p.register('/ipfs/id/1.0.0', {
      onConnect: async (id) => {
        const parted = new Promise((resolve) => laptop.libp2p.addEventListener('peer:disconnect', resolve, { once: true }))
        await laptop.libp2p.hangUp(id)
        await parted
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })
    await laptop.libp2p.dial(phone.libp2p.getMultiaddrs()[0])
    await waitFor(() => laptop.libp2p.getConnections().length === 0 && laptop.sync.status().peers.length === 0 &&
      phone.libp2p.getConnections().length === 0, 'the connection to close', 10_000)
    // Long enough for the registrar to have told every topology.
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(laptop.sync.status().peers).toEqual([])
  }, 30_000)
})
