/**
 * expectSameAsCeramic: Kiln's ids against Ceramic's own published @ceramicnetwork/streamid,
 * byte for byte and string for string, in both directions.
 */
import { describe, it, expect } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { identity } from 'multiformats/hashes/identity'
import { CommitID as CeramicCommitID, StreamID as CeramicStreamID, StreamRef as CeramicStreamRef } from '@ceramicnetwork/streamid'
import { Model } from '@ceramicnetwork/stream-model'
import { CommitID, StreamID, parseStreamRef } from '../../src/ids/index.js'
import { CID_V0, DAG_CBOR_CID, DAG_JOSE_CID, IDX_GENESIS_CID, IDX_SCHEMA_COMMIT_ID, MODEL_MODEL, SHA512_CID, fromHex, hex } from './fixtures.js'

const MODEL_CID = CID.createV1(dagCbor.code, createDigest(dagCbor.code, identity.digest(dagCbor.encode('model-v1')).bytes))
const GENESES = { 'dag-cbor': DAG_CBOR_CID, 'dag-jose': DAG_JOSE_CID, 'IDX dag-jose': IDX_GENESIS_CID, 'sha2-512': SHA512_CID, 'Model.MODEL': MODEL_CID }
// Known types, plus unknown codes: js-ceramic accepts any type code in ids.
const TYPES = [0, 1, 2, 3, 4, 9, 300]
const CASES = Object.entries(GENESES).flatMap(([label, genesis]) => TYPES.map((type) => ({ label, genesis, type })))

function expectSameRef (ours: StreamID | CommitID, theirs: CeramicStreamID | CeramicCommitID): void {
  expect(hex(ours.bytes)).toBe(hex(theirs.bytes))
  expect(ours.toString()).toBe(theirs.toString())
  expect(ours.toUrl()).toBe(theirs.toUrl())
  expect(ours.type).toBe(theirs.type)
  expect(ours.cid.toString()).toBe(theirs.cid.toString())
}

describe('same as @ceramicnetwork/streamid', () => {
  it.each(CASES)('type $type over the $label genesis', ({ genesis, type }) => {
    const commit = genesis.equals(DAG_CBOR_CID) ? DAG_JOSE_CID : DAG_CBOR_CID
    const pairs: Array<[StreamID | CommitID, CeramicStreamID | CeramicCommitID]> = [
      [new StreamID(type, genesis), new CeramicStreamID(type, genesis.toString())],
      [new CommitID(type, genesis, null), new CeramicCommitID(type, genesis.toString(), null)],
      [new CommitID(type, genesis, genesis), new CeramicCommitID(type, genesis.toString(), genesis.toString())],
      [new CommitID(type, genesis, commit), new CeramicCommitID(type, genesis.toString(), commit.toString())]
    ]
    for (const [ours, theirs] of pairs) {
      expectSameRef(ours, theirs)
      // Each library reads the other's strings and bytes.
      expectSameRef(parseStreamRef(theirs.toString()), theirs)
      expectSameRef(parseStreamRef(theirs.toUrl()), theirs)
      expectSameRef(parseStreamRef(theirs.bytes), theirs)
      expectSameRef(ours, CeramicStreamRef.from(ours.toString()))
      expectSameRef(ours, CeramicStreamRef.from(ours.bytes))
      if (CommitID.isCommitID(ours)) {
        const theirCommit = theirs as CeramicCommitID
        expect(ours.commit.toString()).toBe(theirCommit.commit.toString())
        expect(ours.baseID.toString()).toBe(theirCommit.baseID.toString())
      }
    }
  })

  it('typeName agrees for known codes, and both refuse to name unknown ones', () => {
    for (const type of [0, 1, 2, 3, 4]) {
      expect(new StreamID(type, DAG_JOSE_CID).typeName).toBe(new CeramicStreamID(type, DAG_JOSE_CID.toString()).typeName)
    }
    expect(() => new CeramicStreamID(9, DAG_JOSE_CID.toString()).typeName).toThrow('No stream type registered for index 9')
    expect(() => new StreamID(9, DAG_JOSE_CID).typeName).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
  })

  it('the ?commit= string forms agree', () => {
    const base = new CeramicStreamID(2, DAG_JOSE_CID.toString()).toString()
    for (const input of [`${base}?commit=0`, `ceramic://${base}?commit=${DAG_CBOR_CID.toString()}`, `/ceramic/${base}?commit=${DAG_JOSE_CID.toString()}`]) {
      expectSameRef(CommitID.fromString(input), CeramicCommitID.fromString(input))
    }
  })

  it('Model.MODEL and the IDX schema ref agree', () => {
    expect(Model.MODEL.toString()).toBe(MODEL_MODEL)
    expectSameRef(new StreamID(4, MODEL_CID), Model.MODEL)
    expectSameRef(CommitID.fromString(IDX_SCHEMA_COMMIT_ID), CeramicCommitID.fromString(IDX_SCHEMA_COMMIT_ID))
  })

  it('both refuse what js-ceramic refuses', () => {
    const stream = `ce0100${hex(DAG_JOSE_CID.bytes)}`
    for (const input of ['garbage', DAG_CBOR_CID.toString(), new CeramicCommitID(0, DAG_JOSE_CID.toString()).toString()]) {
      expect(() => CeramicStreamID.fromString(input)).toThrow()
      expect(() => StreamID.fromString(input)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
    }
    for (const input of ['', 'ce01', stream.slice(0, 40), `${stream}07`, `0171${hex(DAG_JOSE_CID.bytes)}`]) {
      expect(() => CeramicStreamRef.fromBytes(fromHex(input))).toThrow()
      expect(() => parseStreamRef(fromHex(input))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
    }
  })

  // Where js-ceramic accepts input that cannot round-trip, Kiln refuses it (documented divergences).
  it.each([
    ['junk around the id (its regex is not anchored)', ` ceramic://${'kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj'}!`],
    ['a ?commit= on a CommitID (it silently replaces the commit)', `${IDX_SCHEMA_COMMIT_ID}?commit=${DAG_CBOR_CID.toString()}`],
    ['a CIDv0 commit (its output cannot be read back)', `kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj?commit=${CID_V0.toString()}`]
  ])('stricter than js-ceramic: %s', (_, input) => {
    expect(() => CeramicStreamRef.from(input)).not.toThrow()
    expect(() => parseStreamRef(input)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
  })

  it.each([
    ['bytes after the commit CID (it ignores them)', `ce0100${hex(DAG_JOSE_CID.bytes)}${hex(DAG_CBOR_CID.bytes)}0102`],
    ['a non-minimal varint (it re-encodes it differently)', `ce018000${hex(DAG_JOSE_CID.bytes)}`]
  ])('stricter than js-ceramic: %s', (_, input) => {
    expect(() => CeramicStreamRef.from(fromHex(input))).not.toThrow()
    expect(() => parseStreamRef(fromHex(input))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
  })
})
