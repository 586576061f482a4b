import { describe, it, expect } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { StreamID as CeramicStreamID } from '@ceramicnetwork/streamid'
import { CommitID, StreamID, StreamType } from '../../src/ids/index.js'
import { DAG_CBOR_CID, DAG_JOSE_CID, IDX_GENESIS_CID, MODEL_MODEL, SHA512_CID, fromHex, hex } from './fixtures.js'

const INVALID = expect.objectContaining({ code: 'ERR_INVALID_ID' })

// Expected strings produced by @ceramicnetwork/streamid 5.6.0.
const VECTORS = [
  { type: 0, genesis: DAG_CBOR_CID, id: 'k2t6wyfsu4pg2sig3o0xkt55gn6tx3psb8um0nuki9gb33ngyfi4a2a9qq79fq' },
  { type: 3, genesis: DAG_CBOR_CID, id: 'k2t6wzhkhabz6g2yq3d7qv4con3onk57mnx0zd708julpclpggyaibmc30qs92' },
  { type: 0, genesis: DAG_JOSE_CID, id: 'kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj' },
  { type: 1, genesis: DAG_JOSE_CID, id: 'kjzl6fdwwfw3q87broo0n3eh7anxuahm4mkpxne2589a0uuhyk1faufoc3w7y8n' },
  { type: 2, genesis: DAG_JOSE_CID, id: 'kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr' },
  { type: 3, genesis: DAG_JOSE_CID, id: 'kjzl6kcym7w8y7xxe028ugs0rvl0vppeqrc67i7opuvpozy4xewri00vfpvftav' },
  { type: 4, genesis: DAG_JOSE_CID, id: 'kjzl6muhh3wbk7t875rcy5gsk61kefbb1tpwcfmi066xj2hyeucflktgziv1qtz' },
  { type: 0, genesis: IDX_GENESIS_CID, id: 'kjzl6cwe1jw14amy1imkbql1d61u00q9cbvhy5c3jtv3nz552fshl013530rauh' },
  { type: 2, genesis: SHA512_CID, id: 'khxnpof8vcrq10kgk7ces6lj3tw24z5bqbdx1cw4s20jn1y1k4pyblg8hu9jsmmfpjo4360tah68vk6bgkhf3tnjv8fl9b4qxvwibyvid9o5esa' }
]

describe('StreamID', () => {
  it.each(VECTORS)('type $type over $genesis is $id', ({ type, genesis, id }) => {
    const streamId = new StreamID(type, genesis)
    expect(streamId.toString()).toBe(id)
    expect(streamId.toUrl()).toBe(`ceramic://${id}`)
    expect(hex(streamId.bytes)).toBe(`ce01${type.toString(16).padStart(2, '0')}${hex(genesis.bytes)}`)
    for (const form of [id, `ceramic://${id}`, `/ceramic/${id}`]) {
      const parsed = StreamID.fromString(form)
      expect(parsed.type).toBe(type)
      expect(parsed.cid.equals(genesis)).toBe(true)
      expect(parsed.equals(streamId)).toBe(true)
    }
    expect(StreamID.fromBytes(streamId.bytes).toString()).toBe(id)
  })

  // Parsed ids are kept by their string: the second parse is the first one's StreamID.
  it('a string parsed again gives the same id, and a refused one is refused again', () => {
    const { id, type } = VECTORS[2]
    const url = `ceramic://${id}`
    expect(StreamID.fromString(url)).toBe(StreamID.fromString(url))
    expect(StreamID.fromString(url).toString()).toBe(id)
    expect(StreamID.fromString(url).type).toBe(type)
    const commitId = new StreamID(type, VECTORS[2].genesis).atCommit(DAG_CBOR_CID).toString()
    for (let i = 0; i < 2; i++) expect(() => StreamID.fromString(commitId)).toThrow(INVALID)
  })

  it('lays out bytes as varint(0xce) | varint(type) | genesis CID', () => {
    expect(hex(new StreamID(0, DAG_JOSE_CID).bytes))
      .toBe('ce010001850112207ac18e1235f2f7a84548eeb543a33f8979eb88566a2dfc3d9596c55a683b7517')
    // A type code >= 128 takes a two-byte varint (js-ceramic gives the same, below in interop).
    expect(hex(new StreamID(300, DAG_CBOR_CID).bytes).slice(0, 8)).toBe('ce01ac02')
  })

  it('reproduces Model.MODEL (kh4q0ozorrgaq2mezktnrmdwleo1d)', () => {
    // js-ceramic builds it oddly: the multihash code is dag-cbor's 0x71 (not identity 0x00), and
    // its digest is the whole identity multihash (00 09 …) of dag-cbor('model-v1').
    const digest = createDigest(dagCbor.code, identity.digest(dagCbor.encode('model-v1')).bytes)
    const model = new StreamID(StreamType.UNLOADABLE, CID.createV1(dagCbor.code, digest))
    expect(model.toString()).toBe(MODEL_MODEL)
    expect(hex(model.bytes)).toBe('ce01040171710b0009686d6f64656c2d7631')
    expect(model.typeName).toBe('UNLOADABLE')
    expect(StreamID.fromString(MODEL_MODEL).equals(model)).toBe(true)
  })

  it('fromGenesis takes a type name or code', () => {
    expect(StreamID.fromGenesis('model', DAG_JOSE_CID).toString()).toBe('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr')
    expect(StreamID.fromGenesis(StreamType.MID, DAG_CBOR_CID).typeName).toBe('MID')
    expect(() => StreamID.fromGenesis(9, DAG_CBOR_CID)).toThrow(INVALID)
    expect(() => StreamID.fromGenesis('document' as never, DAG_CBOR_CID)).toThrow(INVALID)
  })

  it('accepts a CID from multiformats v13 (as dids hands out) and stores a v14 one', () => {
    const foreign = CeramicStreamID.fromString('kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj').cid
    const streamId = new StreamID(0, foreign) // no cast: inputs take any CIDLike
    expect(CID.asCID(streamId.cid)).toBe(streamId.cid)
    expect(streamId.cid.equals(DAG_JOSE_CID)).toBe(true)
  })

  it('converts to its string in JSON and template literals', () => {
    const streamId = new StreamID(2, DAG_JOSE_CID)
    const id = 'kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr'
    expect(JSON.stringify({ streamId })).toBe(`{"streamId":"${id}"}`)
    expect(`${streamId}`).toBe(id)
    expect(String(streamId)).toBe(id)
  })

  it('equals compares type and genesis, and nothing else is equal', () => {
    const a = new StreamID(0, DAG_JOSE_CID)
    expect(a.equals(new StreamID(0, CID.parse(DAG_JOSE_CID.toString())))).toBe(true)
    expect(a.equals(new StreamID(1, DAG_JOSE_CID))).toBe(false)
    expect(a.equals(new StreamID(0, DAG_CBOR_CID))).toBe(false)
    expect(a.equals(a.atCommit(null))).toBe(false)
    expect(a.equals(a.toString())).toBe(false)
  })

  it('atCommit gives CommitIDs; baseID is itself', () => {
    const a = new StreamID(3, DAG_JOSE_CID)
    expect(a.baseID).toBe(a)
    expect(a.atCommit(null).toString()).toBe('k3y52mos6605bnch9fkfywnb9i8li9isouaek5dinrvliprmr1m0zk067jrzkgd8g')
    expect(a.atCommit(undefined).isGenesis).toBe(true)
    const atCommit = a.atCommit(DAG_CBOR_CID)
    expect(CommitID.isCommitID(atCommit)).toBe(true)
    expect(hex(atCommit.bytes))
      .toBe('ce010301850112207ac18e1235f2f7a84548eeb543a33f8979eb88566a2dfc3d9596c55a683b751701711220f4ef7ec208944d257025408bb647949e6b72930520bc80f34d8bfbafd2643d86')
  })

  it('isStreamID recognises only StreamIDs', () => {
    const a = new StreamID(0, DAG_JOSE_CID)
    expect(StreamID.isStreamID(a)).toBe(true)
    expect(StreamID.isStreamID(a.atCommit(null))).toBe(false)
    expect(StreamID.isStreamID(a.toString())).toBe(false)
    expect(StreamID.isStreamID({ type: 0, cid: DAG_JOSE_CID })).toBe(false)
    expect(StreamID.isStreamID(null)).toBe(false)
  })

  it('bytes is a fresh copy, so callers cannot corrupt the id', () => {
    const a = new StreamID(0, DAG_JOSE_CID)
    a.bytes[0] = 0
    expect(a.bytes[0]).toBe(0xce)
    const input = fromHex(hex(a.bytes))
    const parsed = StreamID.fromBytes(input)
    input.fill(0)
    expect(parsed.equals(a)).toBe(true)
  })

  // Like js-ceramic: unknown type codes parse and print; only the name is missing.
  it('allows unknown type codes, but typeName throws for them', () => {
    const unknown = StreamID.fromBytes(fromHex(`ce0109${hex(IDX_GENESIS_CID.bytes)}`))
    expect(unknown.type).toBe(9)
    expect(unknown.toString()).toBe('kjzl6za3rjwom9gnbxwl8wrzfs6pof7c3xb16i1f4no26m3ifapih76h3bx8omh')
    expect(() => unknown.typeName).toThrow(INVALID)
  })

  it.each([
    ['a negative type', () => new StreamID(-1, DAG_CBOR_CID)],
    ['a fractional type', () => new StreamID(1.5, DAG_CBOR_CID)],
    ['a non-CID genesis', () => new StreamID(0, 'bafy…' as never)],
    ['a CIDv0 genesis', () => new StreamID(0, CID.parse('QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG') as never)]
  ])('refuses to construct with %s', (_, build) => {
    expect(build).toThrow(INVALID)
  })
})
