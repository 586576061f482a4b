import { describe, expect, it } from 'vitest'
import type { Cacao } from '@didtools/cacao'
import type { CID } from 'multiformats/cid'
import * as dagJose from 'dag-jose'
import { toString as bytesToString } from 'uint8arrays'
import { base64url } from 'multiformats/bases/base64'
import {
  EventType, SignatureStatus, StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createDidKeySigner,
  createFromGenesis, dataCommit, diffContent, encodeCborBlock, loadStream, modelGenesis, modelInstanceGenesis,
  tileGenesis, tipOf, withCapability,
  type BlockSource, type BuiltCommit, type LoadContext, type ModelDefinition, type Signer, type StreamID, type StreamState
} from '../../src/index.js'
import type { JwsSigner } from '../../src/commits/jws.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'
import { DAY, HOUR, didPkh, makeSiweCacao, siweCacao, wallet, type SiweCacaoOptions } from '../fixtures/wallet.js'

const MINUTE = 60 * 1000
const ALICE = didPkh('alice')
const BOB = didPkh('bob')

/** A Map-backed block store: everything a built commit consists of goes in, keyed by CID. */
class Blocks {
  readonly map = new Map<string, Uint8Array>()
  readonly source: BlockSource = async (cid: CID) => this.map.get(cid.toString())
  put (...commits: BuiltCommit[]): void {
    for (const commit of commits) for (const block of commit.blocks) this.map.set(block.cid.toString(), block.bytes)
  }
}

/** The session key (an Ed25519 did:key from a fixed seed), as did-session makes one. */
async function sessionKey (name = 'session-alice'): Promise<Signer> {
  return await createDidKeySigner(seedFor(name))
}

/** A session key holding a real SIWE CACAO signed by the wallet (aud = the session key). */
async function session (options: Partial<SiweCacaoOptions> = {}, key?: Signer): Promise<Signer> {
  const k = key ?? await sessionKey()
  return await withCapability(k, await siweCacao({ session: k.id, ...options }))
}

/**
 * A signer that attaches any CACAO to a key's signatures, without withCapability's checks: what an
 * attacker, or a commit signed long ago while its session was still valid, looks like on the wire.
 */
async function rawCapabilitySigner (key: Signer, cacao: Cacao): Promise<JwsSigner> {
  return { kid: key.kid, capability: cacao, capabilityBlock: await encodeCborBlock(cacao), sign: key.sign }
}

/** Everything a user could observe of a state, CIDs and StreamIDs as strings. */
function snapshot (state: StreamState): string {
  return JSON.stringify(state)
}

async function newTile (signer: JwsSigner, controller = ALICE, content: unknown = { title: 'first' }) {
  const blocks = new Blocks()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller, content, family: 'notes' }), signer)
  blocks.put(genesis)
  const { state, commit } = await createFromGenesis(genesis.streamId, blocks.source)
  return { blocks, genesis, state, commit }
}

async function signUpdate (state: StreamState, signer: JwsSigner, next: unknown): Promise<BuiltCommit> {
  return await buildSignedCommit(dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: diffContent(state.content, next) }), signer)
}

/** Signs an update, offers it to the stream, and returns the outcome. */
async function offerUpdate (state: StreamState, blocks: Blocks, signer: JwsSigner, next: unknown = { title: 'changed' }, context?: LoadContext) {
  const commit = await signUpdate(state, signer, next)
  blocks.put(commit)
  return { commit, result: applyNewCommit(state, commit.cid, blocks.source, context) }
}

/** The update must be refused with `code`, and the state it was offered to must not change. */
async function expectRefusedUpdate (state: StreamState, blocks: Blocks, signer: JwsSigner, code: string, context?: LoadContext): Promise<void> {
  const before = snapshot(state)
  const { result } = await offerUpdate(state, blocks, signer, { title: 'changed' }, context)
  await expect(result).rejects.toMatchObject({ code })
  expect(snapshot(state)).toBe(before)
}

/** An `exp` with a 999 ms fraction, so flooring to seconds is observable. */
function expWithMillis (fromNow: number): Date {
  return new Date(Math.floor((Date.now() + fromNow) / 1000) * 1000 + 999)
}

const noteModel: ModelDefinition = {
  version: '2.0',
  name: 'Note',
  accountRelation: { type: 'list' },
  schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { text: { type: 'string' } }, required: ['text'] }
}

/** Two published Models (by a did:key author) whose documents the sessions write. */
async function models () {
  const author = await kilnSigner('model-author')
  const note = (await buildGenesis(StreamType.MODEL, modelGenesis(author.controller, noteModel), author)).streamId
  const other = (await buildGenesis(StreamType.MODEL, modelGenesis(author.controller, { ...noteModel, name: 'Other' }), author)).streamId
  const context: LoadContext = { model: (id: StreamID) => (id.equals(note) || id.equals(other)) ? noteModel : undefined }
  return { note, other, context }
}

describe('the wallet fixture', () => {
  it('makes a CACAO like pkh-ethereum: lowercase did:pkh issuer, session did:key audience, EIP-55 signed text', async () => {
    const key = await sessionKey()
    const { message: siwe, cacao } = await makeSiweCacao({ session: key.id, chainId: 5 })
    expect(cacao.p.iss).toBe(`did:pkh:eip155:5:${wallet('alice').address.toLowerCase()}`)
    expect(cacao.p.aud).toBe(key.id)
    expect(cacao.s?.t).toBe('eip191')
    expect(siwe.split('\n')[1]).toBe(wallet('alice').address)
    expect(wallet('alice').address).not.toBe(wallet('alice').address.toLowerCase())
  })
})

describe('session keys sign for the did:pkh that delegated to them', () => {
  it('under `ceramic://*`: the genesis and an update verify, and each log entry carries floor(exp / 1000)', async () => {
    const exp = expWithMillis(7 * DAY)
    const key = await sessionKey()
    const signer = await session({ expirationTime: exp }, key)
    expect(signer.id).toBe(key.id)
    expect(signer.controller).toBe(ALICE)

    const { blocks, genesis, state, commit } = await newTile(signer)
    const expirationTime = (exp.getTime() - 999) / 1000
    expect(state.metadata.controllers).toEqual([ALICE])
    expect(state.signature).toBe(SignatureStatus.SIGNED)
    expect(commit.signer).toBe(key.id)
    expect(state.log).toEqual([{ cid: genesis.cid, type: EventType.INIT, expirationTime }])
    // The commit references its CACAO by CID, and ships it as a third block.
    expect(genesis.blocks).toHaveLength(3)
    const envelope = dagJose.decode(genesis.blocks[0].bytes) as dagJose.DagJWS
    const header = JSON.parse(bytesToString(base64url.baseDecode(envelope.signatures[0].protected as string)))
    expect(header).toEqual({ alg: 'EdDSA', cap: `ipfs://${genesis.blocks[2].cid.toString()}`, kid: key.kid })

    const { commit: update, result } = await offerUpdate(state, blocks, signer, { title: 'second' })
    const next = (await result).state
    expect(next.content).toEqual({ title: 'second' })
    expect(next.log).toEqual([
      { cid: genesis.cid, type: EventType.INIT, expirationTime },
      { cid: update.cid, type: EventType.DATA, expirationTime }
    ])
    // Replaying the log from its tip gives the same state.
    const replayed = await loadStream(state.id, update.cid, blocks.source)
    expect(snapshot(replayed)).toBe(snapshot(next))
  })

  it('a controller written with a checksummed address matches the CACAO\'s lowercase issuer (as Ceramic\'s issuerEquals)', async () => {
    const signer = await session()
    const checksummed = `did:pkh:eip155:1:${wallet('alice').address}`
    expect(checksummed).not.toBe(ALICE)
    const { state } = await newTile(signer, checksummed)
    expect(state.metadata.controllers).toEqual([checksummed])
  })

  it('under `ceramic://<streamId>`: a session granted one stream updates that stream', async () => {
    const { blocks, state } = await newTile(await session())
    const perStream = await session({ resources: [`ceramic://${state.id.toString()}`] }, await sessionKey('session-alice-2'))
    const { result } = await offerUpdate(state, blocks, perStream, { title: 'granted' })
    const next = (await result).state
    expect(next.content).toEqual({ title: 'granted' })
    expect(next.log).toHaveLength(2)
  })

  it('under `ceramic://<streamId>?payload=<cid>`: exactly that one commit is granted', async () => {
    const { blocks, state } = await newTile(await session())
    const payload = dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: diffContent(state.content, { title: 'one commit' }) })
    const payloadCid = (await encodeCborBlock(payload)).cid
    const grant = await session({ resources: [`ceramic://${state.id.toString()}?payload=${payloadCid.toString()}`] })
    const commit = await buildSignedCommit(payload, grant)
    blocks.put(commit)
    expect((await applyNewCommit(state, commit.cid, blocks.source)).state.content).toEqual({ title: 'one commit' })
    // Any other payload under the same grant is out of scope.
    await expectRefusedUpdate(state, blocks, grant, 'ERR_CAPABILITY_SCOPE')
  })

  it('under `ceramic://*?model=<model>`: a session creates and updates documents of that model', async () => {
    const { note, context } = await models()
    const signer = await session({ resources: [`ceramic://*?model=${note.toString()}`] })
    const blocks = new Blocks()
    const genesis = await buildGenesis(StreamType.MID, modelInstanceGenesis({ controller: ALICE, model: note, relation: 'list', content: { text: 'hi' } }), signer)
    blocks.put(genesis)
    const { state } = await createFromGenesis(genesis.streamId, blocks.source, context)
    expect(state.metadata.controllers).toEqual([ALICE])
    expect(state.metadata.model?.equals(note)).toBe(true)
    const { result } = await offerUpdate(state, blocks, signer, { text: 'edited' }, context)
    expect((await result).state.content).toEqual({ text: 'edited' })
  })

  it('a CACAO that expired less than 24 h ago is still accepted (Ceramic\'s 24 h revocation phase-out)', async () => {
    // A commit signed while the session was valid may reach a node up to a day after `exp`.
    const key = await sessionKey()
    const exp = expWithMillis(-23 * HOUR)
    const cacao = await siweCacao({ session: key.id, issuedAt: new Date(Date.now() - 30 * HOUR), expirationTime: exp })
    const { state, genesis } = await newTile(await rawCapabilitySigner(key, cacao))
    expect(state.log).toEqual([{ cid: genesis.cid, type: EventType.INIT, expirationTime: (exp.getTime() - 999) / 1000 }])
  })

  it('judged at an anchor time, a commit stays valid until exp + 24 h + 5 min (phase-out plus clock skew)', async () => {
    const exp = new Date(Date.now() + HOUR)
    const signer = await session({ expirationTime: exp })
    const { blocks, state } = await newTile(await session())
    const withinGrace = { atTime: new Date(exp.getTime() + DAY + 4 * MINUTE) }
    const { result } = await offerUpdate(state, blocks, signer, { title: 'late' }, withinGrace)
    expect((await result).state.content).toEqual({ title: 'late' })
    await expectRefusedUpdate(state, blocks, signer, 'ERR_CAPABILITY_EXPIRED', { atTime: new Date(exp.getTime() + DAY + 6 * MINUTE) })
  })
})

describe('session-key commits that are refused, with their typed code', () => {
  it('a CACAO signed by another wallet than its issuer: ERR_INVALID_CAPABILITY, at genesis, on update and on load', async () => {
    const forged = await session({ account: 'alice', signedBy: 'bob' })
    expect(forged.controller).toBe(ALICE)
    const blocks = new Blocks()
    const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: ALICE, content: { a: 1 } }), forged)
    blocks.put(genesis)
    await expect(createFromGenesis(genesis.streamId, blocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_CAPABILITY' })

    const { blocks: tileBlocks, state } = await newTile(await session())
    await expectRefusedUpdate(state, tileBlocks, forged, 'ERR_INVALID_CAPABILITY')
    // A log that contains the forged commit does not load either.
    const commit = await signUpdate(state, forged, { title: 'forged' })
    tileBlocks.put(commit)
    await expect(loadStream(state.id, commit.cid, tileBlocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_CAPABILITY' })
  })

  it('a SIWE text changed after signing (statement, or resources widened): ERR_INVALID_CAPABILITY', async () => {
    const { blocks, state } = await newTile(await session())
    await expectRefusedUpdate(state, blocks, await session({ tamper: { statement: 'Give this application nothing' } }), 'ERR_INVALID_CAPABILITY')
    // Signed for one other stream, then edited to claim every stream.
    const { state: other } = await newTile(await session())
    const widened = await session({ resources: [`ceramic://${other.id.toString()}`], tamper: { resources: ['ceramic://*'] } })
    await expectRefusedUpdate(state, blocks, widened, 'ERR_INVALID_CAPABILITY')
  })

  it('a CACAO for another session key: withCapability refuses it, and a commit carrying it is ERR_INVALID_CAPABILITY', async () => {
    const mine = await sessionKey()
    const theirs = await sessionKey('session-eve')
    const cacaoForTheirs = await siweCacao({ session: theirs.id })
    await expect(withCapability(mine, cacaoForTheirs)).rejects.toMatchObject({ code: 'ERR_INVALID_CAPABILITY' })

    const { blocks, state } = await newTile(await session())
    await expectRefusedUpdate(state, blocks, await rawCapabilitySigner(mine, cacaoForTheirs), 'ERR_INVALID_CAPABILITY')
  })

  it('a CACAO expired more than 24 h + 5 min ago: ERR_CAPABILITY_EXPIRED', async () => {
    const key = await sessionKey()
    const cacao = await siweCacao({ session: key.id, issuedAt: new Date(Date.now() - 3 * DAY), expirationTime: new Date(Date.now() - DAY - 6 * MINUTE) })
    const { blocks, state } = await newTile(await session())
    await expectRefusedUpdate(state, blocks, await rawCapabilitySigner(key, cacao), 'ERR_CAPABILITY_EXPIRED')
  })

  it('a CACAO not valid yet (nbf, or iat, more than 5 min ahead): ERR_CAPABILITY_EXPIRED', async () => {
    const { blocks, state } = await newTile(await session())
    await expectRefusedUpdate(state, blocks, await session({ notBefore: new Date(Date.now() + HOUR) }), 'ERR_CAPABILITY_EXPIRED')
    await expectRefusedUpdate(state, blocks, await session({ issuedAt: new Date(Date.now() + HOUR) }), 'ERR_CAPABILITY_EXPIRED')
    // Within the 5-minute clock skew, nbf is tolerated.
    const { result } = await offerUpdate(state, blocks, await session({ notBefore: new Date(Date.now() + 2 * MINUTE) }))
    expect((await result).state.content).toEqual({ title: 'changed' })
  })

  it('resources that do not cover the stream: ERR_CAPABILITY_SCOPE', async () => {
    const { blocks, state } = await newTile(await session())
    const { state: other } = await newTile(await session())
    expect(other.id.equals(state.id)).toBe(false)
    await expectRefusedUpdate(state, blocks, await session({ resources: [`ceramic://${other.id.toString()}`] }), 'ERR_CAPABILITY_SCOPE')

    const { note, other: otherModel, context } = await models()
    // A model grant does not reach a Tile (which has no model).
    await expectRefusedUpdate(state, blocks, await session({ resources: [`ceramic://*?model=${note.toString()}`] }), 'ERR_CAPABILITY_SCOPE')
    // A grant for another model does not reach this model's documents, at genesis nor on update.
    const noteSession = await session({ resources: [`ceramic://*?model=${note.toString()}`] })
    const otherSession = await session({ resources: [`ceramic://*?model=${otherModel.toString()}`] })
    const midBlocks = new Blocks()
    const plan = modelInstanceGenesis({ controller: ALICE, model: note, relation: 'list', content: { text: 'hi' } })
    const refusedGenesis = await buildGenesis(StreamType.MID, plan, otherSession)
    midBlocks.put(refusedGenesis)
    await expect(createFromGenesis(refusedGenesis.streamId, midBlocks.source, context)).rejects.toMatchObject({ code: 'ERR_CAPABILITY_SCOPE' })
    const genesis = await buildGenesis(StreamType.MID, plan, noteSession)
    midBlocks.put(genesis)
    const { state: doc } = await createFromGenesis(genesis.streamId, midBlocks.source, context)
    await expectRefusedUpdate(doc, midBlocks, otherSession, 'ERR_CAPABILITY_SCOPE', context)
  })

  it('a valid CACAO from a wallet that does not control the stream: ERR_WRONG_CONTROLLER', async () => {
    const { blocks, state } = await newTile(await session())
    const bobSession = await session({ account: 'bob' })
    expect(bobSession.controller).toBe(BOB)
    await expectRefusedUpdate(state, blocks, bobSession, 'ERR_WRONG_CONTROLLER')
  })

  it('the same address on another chain is another controller: eip155:1 CACAO on an eip155:5 stream is ERR_WRONG_CONTROLLER', async () => {
    const goerli = didPkh('alice', 5)
    const mainnetSession = await session({ chainId: 1 })
    const blocks = new Blocks()
    const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: goerli, content: { a: 1 } }), mainnetSession)
    blocks.put(genesis)
    await expect(createFromGenesis(genesis.streamId, blocks.source)).rejects.toMatchObject({ code: 'ERR_WRONG_CONTROLLER' })

    const { blocks: goerliBlocks, state } = await newTile(await session({ chainId: 5 }), goerli)
    expect(state.metadata.controllers).toEqual([goerli])
    await expectRefusedUpdate(state, goerliBlocks, mainnetSession, 'ERR_WRONG_CONTROLLER')
  })

  it('signing with an expired session is refused at sign time with ERR_CAPABILITY_EXPIRED (even inside the phase-out)', async () => {
    const key = await sessionKey()
    const expired = await withCapability(key, await siweCacao({ session: key.id, issuedAt: new Date(Date.now() - 2 * DAY), expirationTime: new Date(Date.now() - MINUTE) }))
    await expect(buildGenesis(StreamType.TILE, tileGenesis({ controller: ALICE, content: { a: 1 } }), expired)).rejects.toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
    const { state } = await newTile(await session())
    await expect(signUpdate(state, expired, { title: 'too late' })).rejects.toMatchObject({ code: 'ERR_CAPABILITY_EXPIRED' })
  })
})
