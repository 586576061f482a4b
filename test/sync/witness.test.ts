import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { withCapability } from '../../src/identity/signer.js'
import { kilnSigner } from '../fixtures/identities.js'
import { DAY, HOUR, siweCacao } from '../fixtures/wallet.js'
import { connect, contents, peersStoppedAfterEach, waitFor } from './peers.js'

afterEach(() => { vi.useRealTimers() })
const peer = peersStoppedAfterEach()

describe('sync: time witnesses for expired wallet sessions', () => {
  it('a device joining days after a session expired gets its commits from a server it trusts, judged when the server accepted them; an untrusted peer\'s word is not taken', async () => {
    const key = await kilnSigner('witness-session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id, expirationTime: new Date(Date.now() + HOUR) }))
    const server = await peer('witness-server')
    const laptop = await peer('laptop', { node: createStreamNode({ store: createMemoryStore(), signer: session }), listen: false })
    await connect(laptop, server)
    const note = await laptop.node.create({ content: { v: 1 } })
    const edited = await laptop.node.update(note.id, { content: { v: 2 } })
    await waitFor(async () => (await contents(server.node))[note.id]?.tip === edited.tip, 'the server to accept both commits while the session is valid')
    const acceptedAt = (await server.node.history(note.id)).map((entry) => entry.receivedAt as number)

    // Three days on: the session expired beyond Ceramic's 24 h phase-out.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true })
    vi.setSystemTime(Date.now() + 3 * DAY)

    const phone = await peer('phone', { signerName: 'phone', listen: false, bootstrap: [server.libp2p.getMultiaddrs()[0].toString()] })
    await waitFor(async () => (await contents(phone.node))[note.id]?.tip === edited.tip, 'the new device to get the note through its trusted server')
    expect((await phone.node.load(note.id)).content).toEqual({ v: 2 })
    // It keeps the server's times, so a replay of the history later verifies the same way.
    expect((await phone.node.history(note.id)).map((entry) => entry.receivedAt)).toEqual(acceptedAt)
    expect((await phone.node.load(edited.commitId)).content).toEqual({ v: 2 })

    // A peer merely connected (not configured as a server) is not taken at its word.
    const stranger = await peer('stranger', { signerName: 'stranger', listen: false })
    await connect(stranger, server)
    await stranger.sync.syncNow()
    await expect(stranger.node.load(note.id)).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
    expect(stranger.sync.status().invalid).toBe(0) // refused, not held against the server
  }, 60_000)

  it('a witness whose times cannot be true (before the session was issued) is not believed: nothing is stored', async () => {
    const key = await kilnSigner('lying-witness-session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id, expirationTime: new Date(Date.now() + HOUR) }))
    // A configured server that claims it accepted every commit in 1970.
    const honest = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('lying-server') })
    const lying: StreamNode = { ...honest, commits: async (id) => (await honest.commits(id)).map((c) => ({ ...c, receivedAt: 0 })) }
    const server = await peer('lying-server', { node: lying })
    const laptop = await peer('lying-laptop', { node: createStreamNode({ store: createMemoryStore(), signer: session }), listen: false })
    await connect(laptop, server)
    const note = await laptop.node.create({ content: { v: 1 } })
    await waitFor(async () => (await contents(server.node))[note.id] != null, 'the server to accept the note while the session is valid')

    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true })
    vi.setSystemTime(Date.now() + 3 * DAY)
    const phone = await peer('lying-phone', { signerName: 'lying-phone', listen: false, bootstrap: [server.libp2p.getMultiaddrs()[0].toString()] })
    await waitFor(() => phone.sync.status().peers.length === 1, 'the phone to connect to its server')
    await phone.sync.syncNow()
    await expect(phone.node.load(note.id)).rejects.toMatchObject({ code: 'ERR_STREAM_NOT_FOUND' })
    expect((await phone.node.stats()).commits).toBe(0)
  }, 60_000)
})
