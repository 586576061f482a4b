/**
 * Browser smoke page for the core. Each case is a named async function whose
 * result must be plain JSON; `e2e/core.spec.ts` calls them through
 * `window.kilnSmoke.run(name)`. To add a case, add an entry to `cases`.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { streamLifecycle } from '../fixtures/stream-lifecycle.js'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export interface KilnSmoke {
  /** Names of the cases this page can run. */
  cases: string[]
  /** Runs one case and returns its JSON result; rejects on an unknown name. */
  run(name: string): Promise<Json>
}

declare global {
  interface Window { kilnSmoke?: KilnSmoke }
}

const cases: Record<string, () => Promise<Json>> = {
  /** Kiln's own core: build, sign, verify, reduce, reload, time travel and a refused forgery. */
  async streamLifecycle () {
    return await streamLifecycle() as Json
  },

  /** WebCrypto Ed25519: generate, sign, verify, and refuse a tampered message. */
  async ed25519 () {
    const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify']) as CryptoKeyPair
    const message = new TextEncoder().encode('kiln smoke')
    const signature = new Uint8Array(await crypto.subtle.sign('Ed25519', keys.privateKey, message))
    const verified = await crypto.subtle.verify('Ed25519', keys.publicKey, signature, message)
    const tampered = message.slice()
    tampered[0] ^= 1
    const tamperedVerified = await crypto.subtle.verify('Ed25519', keys.publicKey, signature, tampered)
    const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', keys.publicKey))
    return { verified, tamperedVerified, signatureLength: signature.length, publicKeyLength: publicKey.length }
  },

  /** dag-cbor block + sha256 CID (CIDv1, dag-cbor codec, base32 `bafyrei…`). */
  async dagCbor () {
    const value = { kiln: 'smoke', n: 1, list: [1, 2, 3], bytes: new Uint8Array([1, 2, 3]) }
    const bytes = dagCbor.encode(value)
    const cid = CID.create(1, dagCbor.code, await sha256.digest(bytes))
    const decoded = dagCbor.decode<typeof value>(bytes)
    return { cid: cid.toString(), byteLength: bytes.length, roundTrip: decoded.kiln === 'smoke' && decoded.bytes.length === 3 }
  },

  /** The core's dependencies load and initialise in the browser (no Node globals needed). */
  async imports () {
    const [dagJose, dids, ajv, jsonPatch, cacao, keyDid] = await Promise.all([
      import('dag-jose'),
      import('dids'),
      import('ajv/dist/2020'),
      import('fast-json-patch'),
      import('@didtools/cacao'),
      import('key-did-resolver')
    ])
    const Ajv2020 = ajv.default
    const validate = new Ajv2020().compile({ type: 'object', properties: { a: { type: 'integer' } }, required: ['a'] })
    const patched = jsonPatch.applyPatch({ a: 1 }, [{ op: 'replace', path: '/a', value: 2 }]).newDocument
    return {
      dagJoseCode: dagJose.code,
      didsHasDID: typeof dids.DID === 'function',
      ajvValid: validate({ a: 1 }),
      patched: patched.a,
      cacaoHasCacao: typeof cacao.Cacao === 'object' || typeof cacao.Cacao === 'function',
      keyDidHasResolver: typeof keyDid.getResolver === 'function'
    }
  },

  /** The reference stack (dids + did:key + dag-jose) signs and verifies a DAG-JWS in the browser. */
  async didKeyDagJws () {
    const [{ DID }, { Ed25519Provider }, keyDid, dagJose] = await Promise.all([
      import('dids'),
      import('key-did-provider-ed25519'),
      import('key-did-resolver'),
      import('dag-jose')
    ])
    const seed = new Uint8Array(32).fill(7)
    const did = new DID({ provider: new Ed25519Provider(seed), resolver: keyDid.getResolver() })
    await did.authenticate()
    const { jws, linkedBlock } = await did.createDagJWS({ kiln: 'smoke' })
    const verified = await did.verifyJWS(jws)
    const envelope = dagJose.encode(jws)
    return { did: did.id, kid: verified.kid, linkedBlockLength: linkedBlock.length, envelopeLength: envelope.length }
  }
}

window.kilnSmoke = {
  cases: Object.keys(cases),
  async run (name) {
    const run = cases[name]
    if (run === undefined) throw new Error(`unknown smoke case: ${name}`)
    return await run()
  }
}
document.getElementById('status')!.textContent = 'ready'
