import { describe, it, expect } from 'vitest'
import { base36 } from 'multiformats/bases/base36'
import { CommitID, StreamID, parseStreamRef } from '../../src/ids/index.js'
import { CID_V0, DAG_CBOR_CID, DAG_JOSE_CID, IDX_SCHEMA_COMMIT_ID, fromHex, hex } from './fixtures.js'

const TILE = 'kjzl6cwe1jw148c0yiywjeppf07ebkvptk6zspz8uwy26saoh4lr79n2sawm0pj' // tile over DAG_JOSE_CID
const STREAM_HEX = `ce0100${hex(DAG_JOSE_CID.bytes)}`

/** Runs `fn` and returns what it threw, so a test can check both code and message. */
function thrown (fn: () => unknown): { code?: string, message: string } {
  try { fn() } catch (err) { return err as { code?: string, message: string } }
  throw new Error('expected a throw')
}

describe('parseStreamRef', () => {
  it.each([
    { name: 'nothing after the genesis → StreamID', input: STREAM_HEX, kind: 'StreamID', commit: undefined },
    { name: '0x00 after the genesis → CommitID at genesis', input: `${STREAM_HEX}00`, kind: 'CommitID', commit: DAG_JOSE_CID },
    { name: 'a CID after the genesis → CommitID at it', input: `${STREAM_HEX}${hex(DAG_CBOR_CID.bytes)}`, kind: 'CommitID', commit: DAG_CBOR_CID }
  ])('bytes: $name', ({ input, kind, commit }) => {
    const ref = parseStreamRef(fromHex(input))
    expect(StreamID.isStreamID(ref)).toBe(kind === 'StreamID')
    expect(CommitID.isCommitID(ref)).toBe(kind === 'CommitID')
    if (CommitID.isCommitID(ref)) expect(ref.commit.equals(commit!)).toBe(true)
    expect(hex(ref.bytes)).toBe(input)
    expect(parseStreamRef(ref.toString()).equals(ref)).toBe(true)
  })

  it.each([
    [TILE, 'StreamID'],
    [`ceramic://${TILE}`, 'StreamID'],
    [`/ceramic/${TILE}`, 'StreamID'],
    [IDX_SCHEMA_COMMIT_ID, 'CommitID'],
    [`ceramic://${IDX_SCHEMA_COMMIT_ID}`, 'CommitID'],
    [`${TILE}?commit=0`, 'CommitID'],
    [`ceramic://${TILE}?commit=${DAG_CBOR_CID.toString()}`, 'CommitID']
  ])('string %s is a %s', (input, kind) => {
    const ref = parseStreamRef(input)
    expect(StreamID.isStreamID(ref) ? 'StreamID' : 'CommitID').toBe(kind)
  })
})

describe('refusals: every bad input throws InvalidIdError (ERR_INVALID_ID) saying what is wrong', () => {
  const strings: Array<[string, string, RegExp]> = [
    ['empty', '', /Malformed stream reference string/],
    ['spaces and punctuation', 'hello world!', /Malformed stream reference string/],
    ['garbage without a multibase prefix', 'garbage', /not base36/],
    ['a base32 CID', DAG_CBOR_CID.toString(), /not base36/],
    ['upper-case base36', TILE.toUpperCase(), /not base36/],
    ['a base36 CID (wrong multicodec)', base36.encode(DAG_JOSE_CID.bytes), /multicodec 0x1 is not the StreamID codec 0xce/],
    ['another multicodec', base36.encode(fromHex(`cf0100${hex(DAG_JOSE_CID.bytes)}`)), /multicodec 0xcf is not the StreamID codec/],
    ['leading whitespace', ` ${TILE}`, /Malformed/],
    ['trailing junk', `${TILE}!!`, /Malformed/],
    ['a bare scheme', 'ceramic://', /Malformed/],
    ['an id whose bytes are cut short', base36.encode(fromHex(STREAM_HEX.slice(0, 40))), /Malformed or truncated CID/],
    // base36 is not byte-aligned: a cut string decodes to different leading bytes altogether.
    ['an id string cut short', TILE.slice(0, 30), /multicodec 0x[0-9a-f]+ is not the StreamID codec/],
    ['a numeric commit', `${TILE}?commit=7`, /neither a CID nor 0/]
  ]
  it.each(strings)('string: %s', (_, input, message) => {
    const err = thrown(() => parseStreamRef(input))
    expect(err.code).toBe('ERR_INVALID_ID')
    expect(err.message).toMatch(message)
  })

  const bytes: Array<[string, string, RegExp]> = [
    ['empty', '', /Truncated/],
    ['only a partial varint', 'ce', /Malformed varint/],
    ['no stream type', 'ce01', /Truncated stream reference stream type/],
    ['no genesis CID', 'ce0100', /the CID is missing/],
    ['a truncated genesis CID', STREAM_HEX.slice(0, 40), /Malformed or truncated CID/],
    ['a truncated commit CID', `${STREAM_HEX}${hex(DAG_CBOR_CID.bytes).slice(0, 20)}`, /Malformed or truncated CID in stream reference commit/],
    ['a stray byte after the genesis', `${STREAM_HEX}07`, /expected a CIDv1/],
    ['bytes after the commit CID', `${STREAM_HEX}${hex(DAG_CBOR_CID.bytes)}0102`, /2 unexpected bytes after the commit CID/],
    ['a non-minimal type varint', `ce018000${hex(DAG_JOSE_CID.bytes)}`, /Malformed varint/],
    ['a CIDv0 genesis', `ce0100${hex(CID_V0.bytes)}`, /expected a CIDv1/],
    ['a wrong multicodec', `0171${hex(DAG_JOSE_CID.bytes)}`, /multicodec 0x1 /]
  ]
  it.each(bytes)('bytes: %s', (_, input, message) => {
    const err = thrown(() => parseStreamRef(fromHex(input)))
    expect(err.code).toBe('ERR_INVALID_ID')
    expect(err.message).toMatch(message)
  })

  it('a CommitID given to StreamID says so', () => {
    for (const parse of [
      () => StreamID.fromString(IDX_SCHEMA_COMMIT_ID),
      () => StreamID.fromString(`ceramic://${TILE}?commit=0`),
      () => StreamID.fromBytes(fromHex(`${STREAM_HEX}00`))
    ]) {
      expect(parse).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
      expect(parse).toThrow(/this is a CommitID, not a StreamID/)
    }
  })

  it('non-string, non-bytes input', () => {
    expect(() => parseStreamRef(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
    expect(() => StreamID.fromString(null as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ID' }))
  })

  it('wraps the underlying multiformats error as the cause', () => {
    const err = thrown(() => parseStreamRef('garbage')) as Error
    expect(err.cause).toBeInstanceOf(Error)
  })
})
