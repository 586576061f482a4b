import { describe, expect, it } from 'vitest'
import { StoreClosedError } from '../../src/errors.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import type { Store } from '../../src/store/store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { connect, contents, peersStoppedAfterEach, waitFor } from './peers.js'

/** A store that can be lost under the node, as Chromium deletes a full disk's database: every call but close then refuses. */
function losableStore (): { store: Store, lose: () => void } {
  const inner = createMemoryStore()
  let lost = false
  const store = new Proxy(inner, {
    get (target, key) {
      const value = Reflect.get(target, key) as unknown
      if (typeof value !== 'function' || key === 'close') return value
      return (...args: unknown[]) => {
        if (lost) return Promise.reject(new StoreClosedError('The browser closed the database'))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    }
  })
  return { store, lose: () => { lost = true } }
}

const peer = peersStoppedAfterEach()

describe('sync: which writes are only on this node (status().unconfirmed)', () => {
  it('writes made with no peer count as unconfirmed until a server peer holds them', async () => {
    const a = await peer('alice', { listen: false })
    const first = await a.node.create({ content: { n: 1 } })
    const second = await a.node.create({ content: { n: 2 } })
    await a.node.update(first.id, { content: { n: 3 } })
    expect(a.sync.status().unconfirmed).toBe(2)
    const server = await peer('server', { syncIntervalMs: 1_000 })
    await connect(a, server)
    await waitFor(() => a.sync.status().unconfirmed === 0, 'the server to confirm both documents')
    // Confirmed means held: the server has each document at the tip A wrote.
    const held = await contents(server.node)
    expect(held[first.id]?.tip).toBe((await a.node.load(first.id)).tip)
    expect(held[second.id]?.tip).toBe(second.tip)
    // A new write is unconfirmed at once, then confirmed again (gossip took it to the server).
    await a.node.update(second.id, { content: { n: 4 } })
    expect(a.sync.status().unconfirmed).toBe(1)
    await waitFor(() => a.sync.status().unconfirmed === 0, 'the server to confirm the update')
  })

  it('a peer that does not keep the document confirms nothing; one that does, does', async () => {
    const a = await peer('alice', { listen: false })
    // Bob only wants documents of another family: he hears Alice's note and does not store it.
    const bob = await peer('bob', { interests: [{ family: 'photos' }] })
    await connect(a, bob)
    await a.node.create({ content: { n: 1 }, family: 'notes' })
    // Three rounds of asking Bob (at 0.5 s, then 1 s and 2 s later) answer nothing held.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    expect(Object.keys(await contents(bob.node))).toHaveLength(0)
    expect(a.sync.status().unconfirmed).toBe(1)
    const server = await peer('server', { syncIntervalMs: 1_000 })
    await connect(a, server)
    await waitFor(() => a.sync.status().unconfirmed === 0, 'the server to confirm the note')
  })

  it('writes of an earlier run (made while sync was stopped) are found in the store and confirmed', async () => {
    const a = await peer('alice', { listen: false })
    await a.goOffline()
    const offline = await a.node.create({ content: { written: 'offline' } })
    await a.node.update(offline.id, { content: { written: 'offline', again: true } })
    await a.goOnline()
    expect(a.sync.status().unconfirmed).toBe(0) // not looked for until a peer connects
    // Known only from the store's commit records, which say this node wrote them; Bob keeps none.
    const bob = await peer('bob', { interests: [{ family: 'photos' }] })
    await connect(a, bob)
    await waitFor(() => a.sync.status().unconfirmed === 1, 'the earlier write to be found')
    const server = await peer('server', { syncIntervalMs: 1_000 })
    await connect(a, server)
    await waitFor(() => a.sync.status().unconfirmed === 0, 'the server to confirm it')
    expect((await contents(server.node))[offline.id]?.tip).toBe((await a.node.load(offline.id)).tip)
  })

  it('writes whose store is lost before a peer has them still reach a peer (their blocks are served from memory)', async () => {
    const { store, lose } = losableStore()
    const a = await peer('alice', { listen: false, node: createStreamNode({ store, signer: await kilnSigner('alice') }) })
    const note = await a.node.create({ content: { text: 'x'.repeat(8_000) } }) // too big to travel inside its announcement
    const updated = await a.node.update(note.id, { content: { text: 'y'.repeat(8_000) } })
    lose()
    await expect(a.node.block(updated.tip)).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
    const server = await peer('server', { syncIntervalMs: 1_000 })
    await connect(a, server)
    await waitFor(() => a.sync.status().unconfirmed === 0, 'the server to fetch and confirm the note')
    expect((await server.node.load(note.id)).content).toEqual({ text: 'y'.repeat(8_000) })
    expect((await server.node.load(note.id)).tip).toBe(updated.tip)
  })
})
