import { describe, expect, it } from 'vitest'
import {
  AnchorStatus, CommitID, EventType, SignatureStatus, StreamType, applyNewCommit, buildGenesis, buildSignedCommit,
  createFromGenesis, dataCommit, diffContent, loadAtCommit, loadStream, tileGenesis, tipOf, type StreamState
} from '../../src/index.js'
import { BlockMap } from '../fixtures/blocks.js'
import { kilnSigner } from '../fixtures/identities.js'

async function createNote (content: unknown = { title: 'first' }) {
  const signer = await kilnSigner('alice')
  const blocks = new BlockMap()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: signer.controller, content, family: 'notes' }), signer)
  blocks.put(genesis)
  const { state } = await createFromGenesis(genesis.streamId, blocks.source)
  return { signer, blocks, genesis, state }
}

async function update (state: StreamState, next: unknown, blocks: BlockMap, signer: Awaited<ReturnType<typeof kilnSigner>>, header?: Record<string, unknown>) {
  const commit = await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: diffContent(state.content, next), header }), signer)
  blocks.put(commit)
  return (await applyNewCommit(state, commit.cid, blocks.source)).state
}

describe('Tile streams', () => {
  it('a signed genesis gives the content, controller and a one-entry log', async () => {
    const { state, signer, genesis } = await createNote()
    expect(state.type).toBe(StreamType.TILE)
    expect(state.content).toEqual({ title: 'first' })
    expect(state.metadata.controllers).toEqual([signer.id])
    expect(state.metadata.family).toBe('notes')
    expect(state.signature).toBe(SignatureStatus.SIGNED)
    expect(state.anchorStatus).toBe(AnchorStatus.NOT_REQUESTED)
    expect(state.log).toEqual([{ cid: genesis.cid, type: EventType.INIT }])
  })

  it('a deterministic genesis is unsigned, has empty content, and its id is computable', async () => {
    const signer = await kilnSigner('alice')
    const plan = tileGenesis({ controller: signer.id, deterministic: true, family: 'IDX' })
    const a = await buildGenesis(StreamType.TILE, plan)
    const b = await buildGenesis(StreamType.TILE, tileGenesis({ controller: signer.id, deterministic: true, family: 'IDX' }))
    expect(a.streamId.equals(b.streamId)).toBe(true)
    const blocks = new BlockMap()
    blocks.put(a)
    const { state } = await createFromGenesis(a.streamId, blocks.source)
    expect(state.content).toEqual({})
    expect(state.signature).toBe(SignatureStatus.GENESIS)
  })

  it('updates apply as JSON-Patch, header changes merge, and the log grows', async () => {
    const { state, signer, blocks } = await createNote()
    const s1 = await update(state, { title: 'second', body: 'text' }, blocks, signer)
    const s2 = await update(s1, { title: 'third' }, blocks, signer, { tags: ['x'] })
    expect(s2.content).toEqual({ title: 'third' })
    expect(s2.metadata.tags).toEqual(['x'])
    expect(s2.metadata.family).toBe('notes')
    expect(s2.log.map((e) => e.type)).toEqual([EventType.INIT, EventType.DATA, EventType.DATA])
    // The earlier state object is untouched: reducers never mutate.
    expect(state.content).toEqual({ title: 'first' })
    expect(s1.log).toHaveLength(2)
  })

  it('loading from the tip replays the same state, and a CommitID gives the state at that commit, frozen', async () => {
    const { state, signer, blocks } = await createNote()
    const s1 = await update(state, { title: 'second' }, blocks, signer)
    const s2 = await update(s1, { title: 'third' }, blocks, signer)
    const replayed = await loadStream(state.id, tipOf(s2), blocks.source)
    expect(replayed.content).toEqual(s2.content)
    expect(replayed.log.map((e) => e.cid.toString())).toEqual(s2.log.map((e) => e.cid.toString()))
    const commitId = CommitID.fromString(state.id.atCommit(tipOf(s1)).toString())
    const past = await loadAtCommit(commitId, blocks.source)
    expect(past.content).toEqual({ title: 'second' })
    expect(Object.isFrozen(past)).toBe(true)
    expect(() => { (past as StreamState).content = {} }).toThrow()
  })

  it('a controller change moves signing rights to the new controller', async () => {
    const { state, signer, blocks } = await createNote()
    const bob = await kilnSigner('bob')
    const handedOver = await update(state, state.content, blocks, signer, { controllers: [bob.id] })
    expect(handedOver.metadata.controllers).toEqual([bob.id])
    const byBob = await update(handedOver, { title: 'bob was here' }, blocks, bob)
    expect(byBob.content).toEqual({ title: 'bob was here' })
    await expect(update(byBob, { title: 'alice again' }, blocks, signer)).rejects.toMatchObject({ code: 'ERR_WRONG_CONTROLLER' })
  })
})
