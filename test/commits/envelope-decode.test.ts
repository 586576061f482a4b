import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { describe, expect, it } from 'vitest'
import { decodeEnvelope } from '../../src/commits/jws.js'
import { ceramicDid } from '../fixtures/identities.js'

/** dag-jose's own reading of an envelope, as Kiln read it before it decoded the dag-cbor itself. */
function dagJoseReading (bytes: Uint8Array): { payload: string, protected: string, signature: string, link: string } | 'refused' {
  try {
    const jws = dagJose.decode(bytes) as dagJose.DagJWS
    const link = jws.link ?? undefined
    if (jws.signatures.length !== 1 || jws.signatures[0].protected == null || link == null) return 'refused'
    // Kiln's header rule on top (string alg and kid, cap a string if present), as before.
    const { alg, kid, cap } = JSON.parse(new TextDecoder().decode(Buffer.from(jws.signatures[0].protected, 'base64url'))) as Record<string, unknown>
    if (typeof alg !== 'string' || typeof kid !== 'string' || (cap != null && typeof cap !== 'string')) return 'refused'
    return { payload: jws.payload, protected: jws.signatures[0].protected, signature: jws.signatures[0].signature, link: link.toString() }
  } catch {
    return 'refused'
  }
}

function kilnReading (bytes: Uint8Array): ReturnType<typeof dagJoseReading> {
  try {
    const envelope = decodeEnvelope(bytes)
    return { payload: envelope.jws.payload, protected: envelope.jws.signatures[0].protected, signature: envelope.jws.signatures[0].signature, link: envelope.payloadCid.toString() }
  } catch (err) {
    expect(err).toMatchObject({ code: 'ERR_MALFORMED_COMMIT' })
    return 'refused'
  }
}

describe('decoding a signed envelope', () => {
  it('reads what Ceramic\'s own stack signs, as dag-jose does, with the exact signed bytes', async () => {
    const did = await ceramicDid('alice')
    const { jws } = await did.createDagJWS({ hello: 'world' })
    const bytes = dagJose.encode(jws)
    const envelope = decodeEnvelope(bytes)
    expect(kilnReading(bytes)).toEqual(dagJoseReading(bytes))
    expect(envelope.payloadCid.toString()).toBe(jws.link?.toString())
    expect(new TextDecoder().decode(envelope.signingInput)).toBe(`${jws.signatures[0].protected}.${jws.payload}`)
    expect(Buffer.from(envelope.signature).toString('base64url')).toBe(jws.signatures[0].signature)
    expect(envelope.header.kid.startsWith(did.id)).toBe(true)
  })

  it('accepts and refuses exactly the envelopes dag-jose does, over 2,000 seeded mutations', async () => {
    const did = await ceramicDid('alice')
    const valid = dagJose.encode((await did.createDagJWS({ n: 1 })).jws)
    let state = 20261201
    const random = (n: number): number => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return (state >>> 0) % n } // xorshift32
    let accepted = 0
    for (let i = 0; i < 2_000; i++) {
      const bytes = Uint8Array.from(valid)
      const edits = 1 + random(3)
      for (let e = 0; e < edits; e++) bytes[random(bytes.length)] ^= 1 << random(8)
      const cut = random(4) === 0 ? bytes.subarray(0, random(bytes.length)) : bytes
      const theirs = dagJoseReading(cut)
      expect(kilnReading(cut), `mutation ${i}: ${Buffer.from(cut).toString('hex')}`).toEqual(theirs)
      if (theirs !== 'refused') accepted++
    }
    // Flips inside the signature or header bytes keep the envelope readable: both sides saw some.
    expect(accepted).toBeGreaterThan(100)
  })
})

describe('an envelope is only what dag-jose writes', () => {
  it('an extra field or an unprotected header (not covered by the signature) is refused: no sibling copies of a signed commit', async () => {
    const did = await ceramicDid('alice')
    const valid = dagJose.encode((await did.createDagJWS({ n: 1 })).jws)
    const fields = dagCbor.decode<{ payload: Uint8Array, signatures: Array<Record<string, unknown>> }>(valid)
    expect(() => decodeEnvelope(valid)).not.toThrow()
    const copies = [
      dagCbor.encode({ ...fields, extra: 1 }),
      dagCbor.encode({ ...fields, signatures: [{ ...fields.signatures[0], header: { kid: 'x' } }] })
    ]
    for (const copy of copies) {
      // dag-jose reads both copies as the same JWS: only their bytes, and so their CIDs, differ.
      expect((dagJose.decode(copy) as dagJose.DagJWS).payload).toBe((dagJose.decode(valid) as dagJose.DagJWS).payload)
      expect(() => decodeEnvelope(copy)).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_COMMIT' }))
    }
  })
})
