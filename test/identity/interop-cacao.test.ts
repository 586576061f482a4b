import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import type { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import { DID } from 'dids'
import { Ed25519Provider } from 'key-did-provider-ed25519'
import { getResolver } from 'key-did-resolver'
import { Cacao, CacaoBlock } from '@didtools/cacao'
import { getEIP191Verifier } from '@didtools/pkh-ethereum'
import {
  StreamType, applyNewCommit, buildGenesis, buildSignedCommit, createDidKeySigner, createFromGenesis, dataCommit,
  encodeCborBlock, tileGenesis, tipOf, withCapability,
  type BlockSource, type BuiltCommit, type StreamState
} from '../../src/index.js'
import { encodeEnvelope, type DagJws } from '../../src/commits/jws.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'
import { DAY, HOUR, didPkh, makeSiweCacao, siweCacao } from '../fixtures/wallet.js'

const ALICE = didPkh('alice')
const SESSION_SEED = 'session-alice'
/** What Ceramic's node passes to verifyJWS (DEFAULT_CACAO_REVOCATION_PHASE_OUT). */
const CERAMIC_PHASE_OUT_SECS = 24 * 60 * 60

class Blocks {
  readonly map = new Map<string, Uint8Array>()
  readonly source: BlockSource = async (cid: CID) => this.map.get(cid.toString())
  put (...commits: BuiltCommit[]): void {
    for (const commit of commits) for (const block of commit.blocks) this.map.set(block.cid.toString(), block.bytes)
  }
}

/** Ceramic's session: did-session's `didKey.withCapability(cacao)`, over the same Ed25519 seed. */
async function ceramicSession (cacao: Cacao, seedName = SESSION_SEED): Promise<DID> {
  const key = new DID({ provider: new Ed25519Provider(seedFor(seedName)), resolver: getResolver() })
  const did = key.withCapability(cacao)
  await did.authenticate()
  return did
}

/** A plain DID that only verifies (resolves did:key). */
function verifierDid (): DID {
  return new DID({ resolver: getResolver() })
}

/** A commit's envelope decoded, typed as dids takes it. */
type CeramicDagJws = Exclude<Parameters<DID['verifyJWS']>[0], string>
function jwsOf (commit: BuiltCommit): CeramicDagJws {
  return dagJose.decode(commit.blocks[0].bytes) as CeramicDagJws
}

/** The same envelope with one byte of the Ed25519 signature flipped; payload and CACAO untouched. */
async function withFlippedSignatureByte (commit: BuiltCommit): Promise<BuiltCommit> {
  const jws = jwsOf(commit)
  const signature = base64url.baseDecode(jws.signatures[0].signature)
  signature[40] ^= 0x01
  const tampered: DagJws = { payload: jws.payload, signatures: [{ protected: jws.signatures[0].protected, signature: base64url.baseEncode(signature) }] }
  const envelope = await encodeEnvelope(tampered)
  return { cid: envelope.cid, blocks: [envelope, ...commit.blocks.slice(1)] }
}

async function kilnTile (signer: Parameters<typeof buildGenesis>[2], controller: string) {
  const blocks = new Blocks()
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller, content: { title: 'first' } }), signer)
  blocks.put(genesis)
  const { state } = await createFromGenesis(genesis.streamId, blocks.source)
  return { blocks, state }
}

function update (state: StreamState, title: string) {
  return dataCommit({ genesis: state.id.cid, prev: tipOf(state), patch: [{ op: 'replace', path: '/title', value: title }] })
}

describe('session-key commits are byte-equal with Ceramic\'s dids stack', () => {
  it('the wallet fixture\'s CACAO is genuinely valid for @didtools (and a tampered one is not)', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const { cacao } = await makeSiweCacao({ session: key.id })
    await expect(Cacao.verify(cacao, { verifiers: getEIP191Verifier() })).resolves.toBeUndefined()
    const tampered = await siweCacao({ session: key.id, tamper: { domain: 'evil.test' } })
    await expect(Cacao.verify(tampered, { verifiers: getEIP191Verifier() })).rejects.toThrow(/does not belong to issuer/)
  })

  it('a genesis and a data commit: same envelope, payload and CACAO blocks as DID.createDagJWS with a capability', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const cacao = await siweCacao({ session: key.id })
    const did = await ceramicSession(cacao)
    const signer = await withCapability(key, cacao)
    expect(did.id).toBe(signer.id)
    expect(did.parent).toBe(signer.controller)

    const plan = tileGenesis({ controller: signer.controller, content: { title: 'hello' }, family: 'notes' })
    const genesis = await buildGenesis(StreamType.TILE, plan, signer)
    const update = dataCommit({ genesis: genesis.cid, prev: genesis.cid, patch: [{ op: 'add', path: '/body', value: 'text' }] })
    const data = await buildSignedCommit(update, signer)
    const cacaoBlock = await CacaoBlock.fromCacao(cacao)

    for (const [payload, ours] of [[plan.payload, genesis], [update, data]] as const) {
      const theirs = await did.createDagJWS(payload)
      expect(ours.blocks[0].bytes).toEqual(dagJose.encode(theirs.jws))
      expect(ours.blocks[1].bytes).toEqual(theirs.linkedBlock)
      expect(theirs.cacaoBlock).toBeDefined()
      expect(ours.blocks[2].bytes).toEqual(theirs.cacaoBlock)
      expect(ours.blocks[2].cid.toString()).toBe(cacaoBlock.cid.toString())
      expect(dagCbor.decode(ours.blocks[2].bytes)).toEqual(cacao)
    }
  })

  it('Ceramic\'s DID.verifyJWS accepts Kiln\'s session-key commit for the did:pkh issuer', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const cacao = await siweCacao({ session: key.id })
    const signer = await withCapability(key, cacao)
    const { state } = await kilnTile(signer, ALICE)
    const commit = await buildSignedCommit(update(state, 'second'), signer)
    const result = await verifierDid().verifyJWS(jwsOf(commit), { issuer: ALICE, capability: cacao, verifiers: getEIP191Verifier(), revocationPhaseOutSecs: CERAMIC_PHASE_OUT_SECS })
    expect(result.kid).toBe(key.kid)
    // The same commit, claimed for another issuer without a matching capability, is refused by Ceramic too.
    await expect(verifierDid().verifyJWS(jwsOf(commit), { issuer: didPkh('bob'), capability: cacao, verifiers: getEIP191Verifier() })).rejects.toThrow()
  })
})

describe('Kiln and Ceramic agree on which session commits are valid', () => {
  /** Signs an update to a fresh ALICE stream with `cacao` on the session key (bypassing withCapability's guards). */
  async function judgeBoth (cacao: Cacao) {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const { blocks, state } = await kilnTile(await withCapability(key, await siweCacao({ session: key.id })), ALICE)
    const raw = { kid: key.kid, capability: cacao, capabilityBlock: await encodeCborBlock(cacao), sign: key.sign }
    const commit = await buildSignedCommit(update(state, 'second'), raw)
    blocks.put(commit)
    const kiln = applyNewCommit(state, commit.cid, blocks.source).then(() => 'accepted', (err) => err.code as string)
    const ceramic = verifierDid().verifyJWS(jwsOf(commit), { issuer: ALICE, capability: cacao, verifiers: getEIP191Verifier(), revocationPhaseOutSecs: CERAMIC_PHASE_OUT_SECS })
      .then(() => 'accepted', () => 'refused')
    return { kiln: await kiln, ceramic: await ceramic }
  }

  it('a CACAO signed by another wallet than its issuer: both refuse', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    expect(await judgeBoth(await siweCacao({ session: key.id, signedBy: 'bob' }))).toEqual({ kiln: 'ERR_INVALID_CAPABILITY', ceramic: 'refused' })
  })

  it('a SIWE statement edited after signing: both refuse', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    expect(await judgeBoth(await siweCacao({ session: key.id, tamper: { statement: 'something else' } }))).toEqual({ kiln: 'ERR_INVALID_CAPABILITY', ceramic: 'refused' })
  })

  it('expired 23 h ago: both accept (24 h phase-out); expired 25 h ago: both refuse', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const issuedAt = new Date(Date.now() - 3 * DAY)
    const recent = await siweCacao({ session: key.id, issuedAt, expirationTime: new Date(Date.now() - 23 * HOUR) })
    expect(await judgeBoth(recent)).toEqual({ kiln: 'accepted', ceramic: 'accepted' })
    const old = await siweCacao({ session: key.id, issuedAt, expirationTime: new Date(Date.now() - 25 * HOUR) })
    expect(await judgeBoth(old)).toEqual({ kiln: 'ERR_CAPABILITY_EXPIRED', ceramic: 'refused' })
  })

  it('not valid for an hour yet: both refuse', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    expect(await judgeBoth(await siweCacao({ session: key.id, notBefore: new Date(Date.now() + HOUR) }))).toEqual({ kiln: 'ERR_CAPABILITY_EXPIRED', ceramic: 'refused' })
  })
})

describe('did:key-controlled streams', () => {
  it('a commit signed by another did:key than the controller: ERR_WRONG_CONTROLLER, state unchanged', async () => {
    const alice = await kilnSigner('alice')
    const mallory = await kilnSigner('mallory')
    const { blocks, state } = await kilnTile(alice, alice.id)
    const before = JSON.stringify(state)
    const commit = await buildSignedCommit(update(state, 'hijacked'), mallory)
    blocks.put(commit)
    await expect(applyNewCommit(state, commit.cid, blocks.source)).rejects.toMatchObject({ code: 'ERR_WRONG_CONTROLLER' })
    expect(JSON.stringify(state)).toBe(before)
    // The same kind of commit from the controller applies.
    const good = await buildSignedCommit(update(state, 'second'), alice)
    blocks.put(good)
    expect((await applyNewCommit(state, good.cid, blocks.source)).state.content).toEqual({ title: 'second' })
  })

  it('a flipped signature byte: ERR_INVALID_SIGNATURE in Kiln, and Ceramic\'s verifyJWS refuses it too', async () => {
    const alice = await kilnSigner('alice')
    const { blocks, state } = await kilnTile(alice, alice.id)
    const before = JSON.stringify(state)
    const good = await buildSignedCommit(update(state, 'second'), alice)
    const bad = await withFlippedSignatureByte(good)
    expect(bad.cid.equals(good.cid)).toBe(false)
    blocks.put(bad)
    await expect(applyNewCommit(state, bad.cid, blocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
    expect(JSON.stringify(state)).toBe(before)
    await expect(verifierDid().verifyJWS(jwsOf(bad))).rejects.toThrow(/signature/i)
    await expect(verifierDid().verifyJWS(jwsOf(good))).resolves.toMatchObject({ kid: alice.kid })
  })

  it('a flipped signature byte on a session-key commit: ERR_INVALID_SIGNATURE (a valid CACAO does not rescue it)', async () => {
    const key = await createDidKeySigner(seedFor(SESSION_SEED))
    const signer = await withCapability(key, await siweCacao({ session: key.id }))
    const { blocks, state } = await kilnTile(signer, ALICE)
    const bad = await withFlippedSignatureByte(await buildSignedCommit(update(state, 'second'), signer))
    blocks.put(bad)
    await expect(applyNewCommit(state, bad.cid, blocks.source)).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
  })
})
