import { describe, it, expect } from 'vitest'
import { base36 } from 'multiformats/bases/base36'
import { CommitID, StreamID, StreamType } from '../../src/ids/index.js'
import { DAG_CBOR_CID, DAG_JOSE_CID, IDX_GENESIS_CID, IDX_SCHEMA_COMMIT_ID, SHA512_CID, fromHex, hex } from './fixtures.js'

const INVALID = expect.objectContaining({ code: 'ERR_INVALID_ID' })

// Expected strings produced by @ceramicnetwork/streamid 5.6.0.
const VECTORS = [
  { type: 0, genesis: DAG_JOSE_CID, commit: null, id: 'k3y52l7qbv1fry39itiw7e0msqpgluchjm7lqk8qmzua7k97y1sqpfok3t9jwl1j4' },
  { type: 0, genesis: DAG_CBOR_CID, commit: null, id: 'kjzl6cwd29gybur6i2umrz8mucwkrefdbyxokpldtv7yu1ywku8ufk91a2bn3sw' },
  { type: 3, genesis: DAG_JOSE_CID, commit: null, id: 'k3y52mos6605bnch9fkfywnb9i8li9isouaek5dinrvliprmr1m0zk067jrzkgd8g' },
  { type: 2, genesis: DAG_JOSE_CID, commit: DAG_CBOR_CID, id: 'k6zn3t2py84tn0m590n5oltjd4snntt7zgsyx6yb7n2yjws4c5p5rf8wn1myn3syc3ss78pcp523ysfnur72fcr275ddkv47hrxv8rtzd60tqd0ccqg2hl2' },
  { type: 0, genesis: DAG_CBOR_CID, commit: DAG_JOSE_CID, id: 'k6zn3rc3iwguiw5mlmptcum99qs6gvwhfh1i2shfklaex0j7xyfdlrqb1zgmyr7mos7bsf8ewe0aehydd3sqnotx85pj7kk4umy2orkxe7gbgnt0eetr7rr' },
  { type: 2, genesis: SHA512_CID, commit: DAG_JOSE_CID, id: 'k18llubxok6rp2rfs6iza75ukxq46k2th4cp0k2dlz1p7tw8g011153hpf198em6e6xei8xbh765g4fffcxuxyqmphowjgk8suwr9j9jrojh3j6o2mh3txc9ap7m25hvsfyitvgofh66vajyisjscm1fj5cc4iq5vlcmajrpz' }
]

describe('CommitID', () => {
  it.each(VECTORS)('type $type at $commit is $id', ({ type, genesis, commit, id }) => {
    const commitId = new CommitID(type, genesis, commit)
    expect(commitId.toString()).toBe(id)
    expect(commitId.toUrl()).toBe(`ceramic://${id}`)
    expect(commitId.commit.equals(commit ?? genesis)).toBe(true)
    expect(commitId.isGenesis).toBe(commit === null)
    expect(hex(commitId.bytes)).toBe(`ce01${type.toString(16).padStart(2, '0')}${hex(genesis.bytes)}${commit === null ? '00' : hex(commit.bytes)}`)
    for (const form of [id, `ceramic://${id}`, `/ceramic/${id}`]) {
      expect(CommitID.fromString(form).equals(commitId)).toBe(true)
    }
    expect(CommitID.fromBytes(commitId.bytes).toString()).toBe(id)
    expect(commitId.baseID.equals(new StreamID(type, genesis))).toBe(true)
  })

  it('parses the IDX schema ref as a Tile CommitID at its genesis, and round-trips it', () => {
    const schema = CommitID.fromString(`ceramic://${IDX_SCHEMA_COMMIT_ID}`)
    expect(schema.type).toBe(StreamType.TILE)
    expect(schema.typeName).toBe('tile')
    expect(schema.isGenesis).toBe(true)
    expect(schema.cid.toString()).toBe(IDX_GENESIS_CID.toString())
    expect(schema.commit.toString()).toBe(IDX_GENESIS_CID.toString())
    expect(schema.baseID.toString()).toBe('kjzl6cwe1jw14amy1imkbql1d61u00q9cbvhy5c3jtv3nz552fshl013530rauh')
    expect(hex(schema.bytes)).toBe('ce01000185011220d72b63d288b37e9ff248331f4446bc4218f443ec0208a87dac3008ee580a6ba900')
    expect(schema.toString()).toBe(IDX_SCHEMA_COMMIT_ID)
  })

  // js-ceramic's parseCommit: a commit equal to the genesis CID is the genesis, written 0x00.
  it('writes a commit equal to the genesis as the single 0x00 byte', () => {
    const explicit = new CommitID(0, DAG_JOSE_CID, DAG_JOSE_CID)
    expect(explicit.isGenesis).toBe(true)
    expect(explicit.toString()).toBe('k3y52l7qbv1fry39itiw7e0msqpgluchjm7lqk8qmzua7k97y1sqpfok3t9jwl1j4')
    expect(explicit.equals(new CommitID(0, DAG_JOSE_CID))).toBe(true)
    // ...also when the bytes spell the genesis CID out twice (they do not round-trip, as in js-ceramic).
    const spelled = CommitID.fromBytes(fromHex(`ce0100${hex(DAG_JOSE_CID.bytes)}${hex(DAG_JOSE_CID.bytes)}`))
    expect(hex(spelled.bytes).endsWith('751700')).toBe(true)
  })

  it.each([
    { query: `?commit=${DAG_CBOR_CID.toString()}`, commit: DAG_CBOR_CID, genesis: false },
    { query: `?commit=${DAG_CBOR_CID.toString(base36)}`, commit: DAG_CBOR_CID, genesis: false },
    { query: `?commit=${DAG_JOSE_CID.toString()}`, commit: DAG_JOSE_CID, genesis: true },
    { query: '?commit=0', commit: DAG_JOSE_CID, genesis: true }
  ])('reads a StreamID with $query', ({ query, commit, genesis }) => {
    const base = 'kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr'
    for (const prefix of ['', 'ceramic://', '/ceramic/']) {
      const commitId = CommitID.fromString(`${prefix}${base}${query}`)
      expect(commitId.type).toBe(2)
      expect(commitId.commit.equals(commit)).toBe(true)
      expect(commitId.isGenesis).toBe(genesis)
      expect(commitId.baseID.toString()).toBe(base)
    }
  })

  it('equals compares type, genesis and commit', () => {
    const a = new CommitID(2, DAG_JOSE_CID, DAG_CBOR_CID)
    expect(a.equals(new CommitID(2, DAG_JOSE_CID, DAG_CBOR_CID))).toBe(true)
    expect(a.equals(new CommitID(2, DAG_JOSE_CID, null))).toBe(false)
    expect(a.equals(new CommitID(3, DAG_JOSE_CID, DAG_CBOR_CID))).toBe(false)
    expect(a.equals(a.baseID)).toBe(false)
    expect(JSON.stringify([a])).toBe(`["${a.toString()}"]`)
  })

  it.each([
    ['a StreamID string', () => CommitID.fromString('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr')],
    ['StreamID bytes', () => CommitID.fromBytes(new StreamID(0, DAG_JOSE_CID).bytes)],
    ['a numeric commit other than 0', () => CommitID.fromString('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr?commit=5')],
    ['a CIDv0 commit', () => CommitID.fromString('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr?commit=QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG')],
    ['a CommitID with a second ?commit=', () => CommitID.fromString(`${IDX_SCHEMA_COMMIT_ID}?commit=${DAG_CBOR_CID.toString()}`)]
  ])('refuses %s', (_, parse) => {
    expect(parse).toThrow(INVALID)
  })

  it('says a StreamID names no commit', () => {
    expect(() => CommitID.fromString('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr')).toThrow(/is a StreamID, it names no commit/)
  })
})
