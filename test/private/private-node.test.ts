/** What one node does with private documents, and what it refuses (typed, nothing stored). */
import { describe, expect, it } from 'vitest'
import { encryptionKeyFromSeed } from '../../src/identity/encryption-key.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'

async function device (account: string, withKey = true): Promise<StreamNode> {
  return createStreamNode({
    store: createMemoryStore(),
    signer: await kilnSigner(account),
    ...withKey ? { encryptionKey: await encryptionKeyFromSeed(seedFor(`${account}-x25519`)) } : {}
  })
}

describe('private documents on one node', () => {
  it('the author reads, patches, and sees readers; creating one publishes the author\'s key; queries and subscriptions get plaintext', async () => {
    const alice = await device('alice')
    const heard: unknown[] = []
    alice.subscribe({ family: 'secrets' }, (s) => heard.push(s.content))
    const note = await alice.create({ content: { list: ['a'] }, family: 'secrets', private: { readers: [] } })
    expect(note.private).toEqual({ readable: true, readers: [alice.controller] })
    const patched = await alice.update(note.id, { patch: [{ op: 'add', path: '/list/-', value: 'b' }] })
    expect(patched.content).toEqual({ list: ['a', 'b'] })
    expect((await alice.query({ family: 'secrets' })).items.map((s) => s.content)).toEqual([{ list: ['a', 'b'] }])
    expect(heard).toContainEqual({ list: ['a', 'b'] })
    expect(await alice.hasKeyDirectory(alice.controller as string)).toBe(true)
    // Publishing again changes nothing.
    const directory = await alice.publishEncryptionKey()
    expect((await alice.publishEncryptionKey()).tip).toBe(directory.tip)
  })

  it('refuses what it cannot do privately yet, or at all, with typed errors and nothing stored', async () => {
    const alice = await device('alice')
    const note = await alice.create({ content: { n: 1 }, private: { readers: [] } })
    const before = (await alice.stats()).commits
    const bob = (await kilnSigner('bob')).controller
    await expect(alice.create({ content: { n: 1 }, private: { readers: [bob] } })).rejects.toMatchObject({ code: 'ERR_NO_READER_KEY', details: { account: bob } })
    await expect(alice.create({ content: { n: 1 }, private: { readers: ['not a did'] } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.create({ type: 'MID', model: note.id, content: { n: 1 }, private: { readers: [] } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.create({ deterministic: true, family: 'x', private: { readers: [] } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.writeMany([{ create: { content: { n: 1 }, private: { readers: [] } } }])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.writeMany([{ id: note.id, update: { content: { n: 2 } } }])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.resolveConflict(note.id, { path: '/n', value: 3 })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    await expect(alice.share(note.id, { remove: [alice.controller as string] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    const open = await alice.create({ content: { n: 1 } })
    await expect(alice.share(open.id, { add: [bob] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    expect((await alice.stats()).commits).toBe(before + 1)
    expect((await alice.load(note.id)).content).toEqual({ n: 1 })

    // A node with no encryption key stores private documents but neither writes nor reads them.
    const keyless = await device('alice', false)
    await expect(keyless.create({ content: { n: 1 }, private: { readers: [] } })).rejects.toMatchObject({ code: 'ERR_NOT_A_READER' })
    await keyless.importCar(await alice.exportCar(note.id))
    expect(await keyless.load(note.id)).toMatchObject({ content: null, private: { readable: false } })
    await expect(keyless.update(note.id, { content: { n: 9 } })).rejects.toMatchObject({ code: 'ERR_NOT_A_READER' })
  })
})
