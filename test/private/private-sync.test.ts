/**
 * Private documents end to end over real libp2p on loopback: Alice writes for Bob through a server
 * peer; Carol and the server hold the stream and see only ciphertext (checked on every byte the
 * server's store was given); Alice removes Bob; Alice's second device reads once its key is
 * published; tampered ciphertext from a peer is refused by a reader.
 */
import { describe, expect, it } from 'vitest'
import type { StreamSnapshot } from '../../src/api/types.js'
import { buildSignedCommit } from '../../src/commits/build.js'
import { dataCommit } from '../../src/commits/data.js'
import { encryptionKeyFromSeed } from '../../src/identity/encryption-key.js'
import { CID } from 'multiformats/cid'
import { StreamID } from '../../src/ids/index.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { type PrivateEnvelope, contentKeyIdOf, isPrivateContent } from '../../src/private/envelope.js'
import { keyDirectoryId } from '../../src/private/key-directory.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { ownAndHeldInterests } from '../../src/sync/interests.js'
import type { CommitBatch, Store } from '../../src/store/store.js'
import { decodeState } from '../../src/streams/state-codec.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'
import { type TestPeer, connect, peersStoppedAfterEach, waitFor } from '../sync/peers.js'

const peer = peersStoppedAfterEach()

/** A store that keeps a copy of every byte it is asked to store: blocks, states and records. */
function recordingStore (): { store: Store, written: () => Uint8Array } {
  const store = createMemoryStore()
  const parts: Uint8Array[] = []
  const keep = (batch: CommitBatch): void => {
    for (const block of batch.blocks) parts.push(block.bytes)
    parts.push(batch.state, new TextEncoder().encode(JSON.stringify(batch.stream)))
  }
  return {
    store: {
      ...store,
      putCommit: async (batch) => { keep(batch); await store.putCommit(batch) },
      putCommits: async (batches) => { batches.forEach(keep); await store.putCommits(batches) }
    },
    written: () => Uint8Array.from(parts.flatMap((p) => [...p]))
  }
}

const contains = (haystack: Uint8Array, text: string): boolean => Buffer.from(haystack).includes(Buffer.from(text))

/**
 * A browser-like device of `account` with its own X25519 key: it syncs its account's streams and
 * what it holds, and fetches anything else (a reader's key directory, a shared note) from peers.
 */
async function device (name: string, account: string, store: Store = createMemoryStore()): Promise<TestPeer> {
  let self: TestPeer | undefined
  const node = createStreamNode({
    store,
    signer: await kilnSigner(account),
    encryptionKey: await encryptionKeyFromSeed(seedFor(`${name}-x25519`)),
    fetchStream: async (id) => await (self as TestPeer).sync.fetchStream(id)
  })
  self = await peer(name, { node, listen: false, interests: async () => await ownAndHeldInterests(node, [node.controller as string]) })
  return self
}

const holdsTip = async (p: TestPeer, id: string, tip: string): Promise<boolean> => (await p.node.find(id))?.tips.includes(tip) === true

describe('private documents over a server peer', () => {
  it('A writes for B; B reads it, C and the server hold only ciphertext; A removes B; A\'s second device reads', async () => {
    const server = recordingStore()
    const s = await peer('server', { node: createStreamNode({ store: server.store, signer: await kilnSigner('server') }) })
    const a1 = await device('alice-1', 'alice')
    const b = await device('bob-1', 'bob')
    const c = await device('carol-1', 'carol')
    for (const p of [a1, b, c]) await connect(p, s)
    const bob = b.node.controller as string
    const bobDirectory = await b.node.publishEncryptionKey()
    await a1.node.publishEncryptionKey()
    await waitFor(async () => await holdsTip(s, bobDirectory!.id, bobDirectory!.tip), 'the server to hold Bob\'s key directory')
    expect(await a1.node.has(bobDirectory!.id)).toBe(false)

    // A finds Bob's key from his DID alone (fetched from the server), and writes for him.
    const note = await a1.node.create({ content: { title: 'plan', body: 'SECRET-BODY-1' }, private: { readers: [bob] } })
    expect(note.content).toEqual({ title: 'plan', body: 'SECRET-BODY-1' })
    expect(note.private).toEqual({ readable: true, readers: [a1.node.controller, bob] })

    expect(await a1.node.has(bobDirectory!.id)).toBe(true)
    await waitFor(async () => await holdsTip(s, note.id, note.tip), 'the server to hold the note')
    // B and C open it as a page would (load fetches what the node lacks); they then keep it current.
    expect(await b.sync.fetchStream(note.id)).toBe(true)
    expect(await c.sync.fetchStream(note.id)).toBe(true)
    const atB = await b.node.load(note.id)
    expect(atB.content).toEqual({ title: 'plan', body: 'SECRET-BODY-1' })
    expect(atB.private).toEqual({ readable: true, readers: [a1.node.controller, bob] })

    // C and the server hold the stream, and cannot read it.
    for (const outsider of [c, s]) {
      const seen = await outsider.node.load(note.id)
      expect(seen.private).toEqual({ readable: false })
      expect(seen.content).toBeNull()
    }
    // What C and the server sync is the envelope: the CAR they would hand on holds no plaintext.
    const carAtServer = await s.node.exportCar(note.id)
    expect(contains(carAtServer, 'SECRET-BODY-1')).toBe(false)
    expect(contains(carAtServer, 'ECDH-ES+A256KW')).toBe(true)

    // A updates: B's subscription gets the new plaintext.
    const seenByB: StreamSnapshot[] = []
    b.node.subscribe(note.id, (snapshot) => seenByB.push(snapshot))
    const v2 = await a1.node.update(note.id, { content: { title: 'plan', body: 'SECRET-BODY-2' } })
    await waitFor(() => seenByB.some((x) => x.tip === v2.tip), 'B to hear of the update')
    expect(seenByB.find((x) => x.tip === v2.tip)?.content).toEqual({ title: 'plan', body: 'SECRET-BODY-2' })

    // A removes B: later versions are under a new content key.
    const keyBefore = contentKeyIdOf(await rawContent(a1, note.id, v2.tip))
    const removed = await a1.node.share(note.id, { remove: [bob] })
    expect(removed.private).toEqual({ readable: true, readers: [a1.node.controller] })
    const v4 = await a1.node.update(note.id, { patch: [{ op: 'replace', path: '/body', value: 'SECRET-BODY-3' }] })
    expect(v4.content).toEqual({ title: 'plan', body: 'SECRET-BODY-3' })
    const keyAfter = contentKeyIdOf(await rawContent(a1, note.id, v4.tip))
    expect(keyAfter).not.toBe(keyBefore)
    await waitFor(async () => await holdsTip(b, note.id, v4.tip), 'B to get the later versions')
    const afterRemoval = await b.node.load(note.id)
    expect(afterRemoval.private).toEqual({ readable: false })
    expect(afterRemoval.content).toBeNull()
    // What B could read before stays readable to B.
    expect((await b.node.load(v2.commitId)).content).toEqual({ title: 'plan', body: 'SECRET-BODY-2' })

    // A's second device: it cannot read until its key is published and a device that reads shares again.
    const a2 = await device('alice-2', 'alice')
    await connect(a2, s)
    const aliceDirectory = await keyDirectoryId(a1.node.controller as string)
    await waitFor(async () => await holdsTip(a2, note.id, v4.tip) && await a2.node.has(aliceDirectory), 'A2 to catch up')
    expect((await a2.node.load(note.id)).private).toEqual({ readable: false })
    await expect(a2.node.update(note.id, { content: { title: 'from A2' } })).rejects.toMatchObject({ code: 'ERR_NOT_A_READER' })
    const published = await a2.node.publishEncryptionKey()
    await waitFor(async () => (await a1.node.load(aliceDirectory)).tip === published?.tip, 'A1 to see A2\'s key')
    const reshared = await a1.node.share(note.id, {})
    await waitFor(async () => await holdsTip(a2, note.id, reshared.tip), 'A2 to get the re-share')
    expect((await a2.node.load(note.id)).content).toEqual({ title: 'plan', body: 'SECRET-BODY-3' })
    // The same content key as v4 (only a device was added): A2 reads that earlier version too.
    expect((await a2.node.load(v4.commitId)).content).toEqual({ title: 'plan', body: 'SECRET-BODY-3' })
    // And writes: A1 reads what A2 wrote.
    const fromA2 = await a2.node.update(note.id, { content: { title: 'plan', body: 'SECRET-BODY-4' } })
    await waitFor(async () => await holdsTip(a1, note.id, fromA2.tip), 'A1 to get A2\'s write')
    expect((await a1.node.load(note.id)).content).toEqual({ title: 'plan', body: 'SECRET-BODY-4' })

    // Every byte the server's store was given: ciphertext only, no key. (A public note is the control.)
    for (const secret of ['SECRET-BODY-1', 'SECRET-BODY-2', 'SECRET-BODY-3', 'SECRET-BODY-4']) expect(contains(server.written(), secret)).toBe(false)
    const control = await a1.node.create({ content: { body: 'PUBLIC-BODY' } })
    await waitFor(async () => await holdsTip(s, control.id, control.tip), 'the server to get the public note')
    expect(contains(server.written(), 'PUBLIC-BODY')).toBe(true)
  }, 90_000)

  it('tampered ciphertext signed by the controller is refused by a reader (ERR_INVALID_CIPHERTEXT), and nothing is stored', async () => {
    const s = await peer('server')
    const a = await device('alice-1', 'alice')
    const b = await device('bob-1', 'bob')
    await connect(a, s)
    await connect(b, s)
    const directory = await b.node.publishEncryptionKey()
    await waitFor(async () => await holdsTip(s, directory!.id, directory!.tip), 'the server to hold Bob\'s key directory')
    const bob = b.node.controller as string
    const note = await a.node.create({ content: { n: 1 }, private: { readers: [bob] } })
    await waitFor(async () => await holdsTip(s, note.id, note.tip), 'the server to hold the note')
    expect(await b.sync.fetchStream(note.id)).toBe(true)

    // A commit that flips one character of the ciphertext, properly signed by Alice.
    const raw = await rawContent(a, note.id, note.tip)
    const flipped = raw.data.ciphertext.startsWith('A') ? 'B' + raw.data.ciphertext.slice(1) : 'A' + raw.data.ciphertext.slice(1)
    const id = StreamID.fromString(note.id)
    const forged = await buildSignedCommit(dataCommit({ genesis: id.cid, prev: id.cid, patch: [{ op: 'replace', path: '/data/ciphertext', value: flipped }], streamType: id.type }), await kilnSigner('alice'))
    const blocks = new Map(forged.blocks.map((block) => [block.cid.toString(), block.bytes]))
    const source = async (cid: { toString: () => string }): Promise<Uint8Array | undefined> => blocks.get(cid.toString()) ?? await a.node.block(cid.toString())
    await expect(b.node.ingest(note.id, forged.cid.toString(), source)).rejects.toMatchObject({ code: 'ERR_INVALID_CIPHERTEXT' })
    expect((await b.node.find(note.id))?.tips).toEqual([note.tip])
    expect((await b.node.load(note.id)).content).toEqual({ n: 1 })
  }, 60_000)
})

/** The envelope stored for a tip, as every peer syncs it (read back through a node that holds no key). */
async function rawContent (p: TestPeer, id: string, tip: string): Promise<PrivateEnvelope> {
  const store = createMemoryStore()
  await createStreamNode({ store }).importCar(await p.node.exportCar(StreamID.fromString(id).atCommit(CID.parse(tip)).toString()))
  const content = decodeState(await store.getState(id, tip) as Uint8Array).content
  if (!isPrivateContent(content)) throw new Error(`${tip} holds no private envelope`)
  return content
}
