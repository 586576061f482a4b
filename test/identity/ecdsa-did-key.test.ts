import { describe, expect, it } from 'vitest'
import * as dagJose from 'dag-jose'
import { base58btc } from 'multiformats/bases/base58'
import { base64url } from 'multiformats/bases/base64'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { DID } from 'dids'
import { getResolver } from 'key-did-resolver'
import { ES256KSigner, createJWS } from 'did-jwt'
import { WebcryptoProvider, generateP256KeyPair } from '@didtools/key-webcrypto'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import {
  StreamID, StreamType, createFromGenesis, encodeCborBlock, tileGenesis,
  type BlockSource
} from '../../src/index.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'

/*
 * Signatures from did:key types other than Ed25519, made by the libraries Ceramic's stack uses:
 * secp256k1 (ES256K) through did-jwt's ES256KSigner, as key-did-provider-secp256k1 signs; P-256
 * (ES256) through did-session's own browser key (@didtools/key-webcrypto's WebcryptoProvider).
 * For each vector Ceramic's TileDocument handler (dids verifyJWS, key-did-resolver) is the judge,
 * and Kiln must accept and refuse exactly what it does.
 */

const PRIVATE_KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1)
const SECP256K1_DID = `did:key:${base58btc.encode(Uint8Array.of(0xe7, 0x01, ...secp256k1.getPublicKey(PRIVATE_KEY, true)))}`
const N = secp256k1.Point.CURVE().n

interface Vector { cid: string, blocks: Map<string, Uint8Array> }

const genesisPlan = (controller: string) => tileGenesis({ controller, content: { hello: 'ecdsa' }, family: 'ecdsa' })

/** The blocks of a signed genesis: its DAG-JWS envelope (the commit) and its payload. */
async function vectorOf (jws: { payload: string, signatures: Array<{ protected: string, signature: string }> }, payload: { cid: CID, bytes: Uint8Array }): Promise<Vector> {
  const envelope = dagJose.encode({ payload: jws.payload, signatures: jws.signatures, link: payload.cid } as unknown as dagJose.DagJWS)
  const cid = CID.createV1(dagJose.code, await sha256.digest(envelope))
  return { cid: cid.toString(), blocks: new Map([[payload.cid.toString(), payload.bytes], [cid.toString(), envelope]]) }
}

/** A Tile genesis with content, signed as a DAG-JWS whose signature `sign` makes over the payload string. */
async function signedGenesis (controller: string, sign: (payload: string) => Promise<{ protected: string, signature: string }>): Promise<Vector> {
  const payload = await encodeCborBlock(genesisPlan(controller).payload)
  const payloadString = base64url.baseEncode(payload.cid.bytes)
  return await vectorOf({ payload: payloadString, signatures: [await sign(payloadString)] }, payload)
}

/** did-jwt's ES256K JWS (compact) split into the DAG-JWS signature fields. */
async function es256k (payload: string, kid = `${SECP256K1_DID}#${SECP256K1_DID.split(':')[2]}`, key = PRIVATE_KEY): Promise<{ protected: string, signature: string }> {
  const compact = await createJWS(payload, ES256KSigner(key), { alg: 'ES256K', kid })
  const [header, , signature] = compact.split('.')
  return { protected: header, signature }
}

function withHighS (signature: string): string {
  const bytes = base64url.baseDecode(signature)
  const s = BigInt('0x' + Buffer.from(bytes.subarray(32)).toString('hex'))
  const high = (N - s).toString(16).padStart(64, '0')
  return base64url.baseEncode(Uint8Array.of(...bytes.subarray(0, 32), ...Buffer.from(high, 'hex')))
}

/** Ceramic's verdict and Kiln's on one genesis: true = accepted. */
async function verdicts (vector: Vector): Promise<{ ceramic: boolean, kiln: boolean, kilnCode?: string }> {
  const streamId = StreamID.fromGenesis(StreamType.TILE, CID.parse(vector.cid))
  const world = new CeramicWorld()
  for (const [cid, bytes] of vector.blocks) world.addBlock(CID.parse(cid), bytes)
  const ceramic = await world.replay(streamId.toString(), vector.cid).then(() => true, () => false)
  const source: BlockSource = async (cid) => vector.blocks.get(cid.toString())
  const kiln = await createFromGenesis(streamId, source).then(() => ({ kiln: true }), (err: { code?: string }) => ({ kiln: false, kilnCode: err.code }))
  return { ceramic, ...kiln }
}

describe('ECDSA did:key commits: Kiln accepts and refuses what Ceramic does', () => {
  it('secp256k1 (ES256K): valid, high-S, malformed, signed by another key', async () => {
    const valid = await signedGenesis(SECP256K1_DID, async (p) => await es256k(p))
    expect(await verdicts(valid)).toEqual({ ceramic: true, kiln: true })

    // did-jwt normalises S before verifying, so Ceramic takes the malleated signature; so must Kiln.
    const highS = await signedGenesis(SECP256K1_DID, async (p) => { const s = await es256k(p); return { ...s, signature: withHighS(s.signature) } })
    expect(await verdicts(highS)).toEqual({ ceramic: true, kiln: true })

    const truncated = await signedGenesis(SECP256K1_DID, async (p) => { const s = await es256k(p); return { ...s, signature: base64url.baseEncode(base64url.baseDecode(s.signature).subarray(0, 63)) } })
    expect(await verdicts(truncated)).toEqual({ ceramic: false, kiln: false, kilnCode: 'ERR_INVALID_SIGNATURE' })

    const otherKey = Uint8Array.from({ length: 32 }, (_, i) => 200 - i)
    const wrongKey = await signedGenesis(SECP256K1_DID, async (p) => await es256k(p, undefined, otherKey))
    expect(await verdicts(wrongKey)).toEqual({ ceramic: false, kiln: false, kilnCode: 'ERR_INVALID_SIGNATURE' })
  })

  it('P-256 (ES256), did-session\'s browser key: a commit its WebcryptoProvider signs, and the same tampered', async () => {
    const did = new DID({ provider: new WebcryptoProvider(await generateP256KeyPair()), resolver: getResolver() })
    await did.authenticate()
    expect(did.id).toMatch(/^did:key:zDn/)
    // did-session's path: dids createDagJWS over the genesis payload.
    const made = await did.createDagJWS(genesisPlan(did.id).payload)
    const payload = { cid: CID.asCID(made.jws.link) as CID, bytes: made.linkedBlock }
    const jws = { payload: made.jws.payload, signatures: made.jws.signatures.map((s) => ({ protected: s.protected as string, signature: s.signature })) }
    expect(await verdicts(await vectorOf(jws, payload))).toEqual({ ceramic: true, kiln: true })
    const bytes = base64url.baseDecode(jws.signatures[0].signature)
    bytes[10] ^= 1
    const tampered = { ...jws, signatures: [{ ...jws.signatures[0], signature: base64url.baseEncode(bytes) }] }
    expect(await verdicts(await vectorOf(tampered, payload))).toEqual({ ceramic: false, kiln: false, kilnCode: 'ERR_INVALID_SIGNATURE' })
  })
})
