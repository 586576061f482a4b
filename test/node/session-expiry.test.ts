import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { withCapability } from '../../src/identity/signer.js'
import { kilnSigner } from '../fixtures/identities.js'
import { DAY, HOUR, didPkh, siweCacao } from '../fixtures/wallet.js'

afterEach(() => { vi.useRealTimers() })

describe('a wallet session that expires', () => {
  it('keeps what it signed while valid: history replays on the node that accepted it, days later', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const key = await kilnSigner('session-key')
    const session = await withCapability(key, await siweCacao({ session: key.id, expirationTime: new Date(Date.now() + HOUR) }))
    const node = createStreamNode({ store: createMemoryStore(), signer: session })
    const note = await node.create({ content: { v: 1 } })
    expect(note.metadata.controllers).toEqual([didPkh('alice')])
    const second = await node.update(note.id, { content: { v: 2 } })
    await node.update(note.id, { content: { v: 3 } })
    const car = await node.exportCar(note.id)

    // Three days on: the session has expired (beyond Ceramic's 24 h phase-out).
    vi.setSystemTime(Date.now() + 3 * DAY)
    expect((await node.load(note.id)).content).toEqual({ v: 3 })
    // Loading a past version replays and re-verifies the log, judging each commit at the time this
    // node accepted it: still valid (Ceramic would refuse the whole stream here).
    expect((await node.load(second.commitId)).content).toEqual({ v: 2 })
    // New writes need a new session.
    await expect(node.update(note.id, { content: { v: 4 } })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
    // A node that first sees these commits now has no evidence they were signed in time (no anchor,
    // no trusted server saying when it accepted them: test/sync/witness.test.ts): it refuses, as
    // Ceramic does.
    const late = createStreamNode({ store: createMemoryStore() })
    await expect(late.importCar(car)).rejects.toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
  })
})
