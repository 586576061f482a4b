/**
 * StreamID: names a stream by its type and the CID of its genesis commit (CIP-59).
 * Byte- and string-identical to js-ceramic's `@ceramicnetwork/streamid`.
 */
import { base36 } from 'multiformats/bases/base36'
import { base36Encode } from './base36.js'
import type { CID } from 'multiformats/cid'
import { InvalidIdError } from '../errors.js'
import { CommitID } from './commit-id.js'
import { checkType, decodeStreamRef, encodeStreamRef, parseStreamRefString, toCID, type CIDLike } from './stream-ref-codec.js'
import { streamTypeCode, streamTypeName, type StreamTypeName } from './stream-type.js'

// Symbol.for, so two copies of this module still recognise each other's instances.
const TAG = Symbol.for('kiln/ids/StreamID')

/**
 * StreamIDs parsed from strings or printed, by the string: every API call parses the id it is
 * given, and a write then parses it again (its pinned check). Decoding base36 and encoding it back
 * cost 60-100 us a time in Chromium's worker; a StreamID never changes, so one parse serves them all.
 */
const parsed = new Map<string, StreamID>()
const PARSED_IDS = 4096

function rememberParsed (input: string, id: StreamID): void {
  if (parsed.size >= PARSED_IDS) parsed.delete(parsed.keys().next().value as string)
  parsed.set(input, id)
}

export class StreamID {
  readonly type: number
  /** The CID of the genesis commit (for a signed genesis, of its dag-jose envelope). */
  readonly cid: CID
  #string?: string

  /** Any non-negative type code is accepted, as js-ceramic does; `typeName` throws for unknown ones. */
  constructor (type: number, cid: CID | CIDLike) {
    this.type = checkType(type)
    this.cid = toCID(cid, 'genesis CID')
    Object.defineProperty(this, TAG, { value: true })
  }

  /** True for a StreamID from any copy of this module (not for a CommitID). */
  static isStreamID (value: unknown): value is StreamID {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true
  }

  /**
   * The StreamID of a stream whose genesis block has this CID (a dag-cbor block, or the dag-jose
   * envelope when signed). Unlike js-ceramic's async `fromGenesis(type, content)`, the caller hashes.
   * @example StreamID.fromGenesis('model', genesisCid)
   */
  static fromGenesis (type: number | StreamTypeName, genesisBlockCid: CID | CIDLike): StreamID {
    return new StreamID(streamTypeCode(type), genesisBlockCid)
  }

  /** @example StreamID.fromBytes(id.bytes).equals(id) // true */
  static fromBytes (bytes: Uint8Array): StreamID {
    const parts = decodeStreamRef(bytes, 'StreamID')
    if (parts.commit !== undefined) {
      throw new InvalidIdError(`Invalid StreamID bytes ${base36.encode(bytes)}: this is a CommitID, not a StreamID`)
    }
    return new StreamID(parts.type, parts.genesis)
  }

  /** Accepts 'k…', 'ceramic://k…' and '/ceramic/k…'. @example StreamID.fromString('kjzl6hvfrbw6c…') */
  static fromString (input: string): StreamID {
    const known = parsed.get(input)
    if (known != null) return known
    const parts = parseStreamRefString(input, 'StreamID')
    if (parts.commit !== undefined) {
      throw new InvalidIdError(`Invalid StreamID string "${input}": this is a CommitID, not a StreamID`, { input })
    }
    const id = new StreamID(parts.type, parts.genesis)
    rememberParsed(input, id)
    return id
  }

  get typeName (): StreamTypeName {
    return streamTypeName(this.type)
  }

  /** varint(0xce) | varint(type) | genesis CID bytes; a fresh copy each time. */
  get bytes (): Uint8Array {
    return encodeStreamRef({ type: this.type, genesis: this.cid })
  }

  /** A StreamID is its own base. */
  get baseID (): StreamID {
    return this
  }

  /** The CommitID of this stream at `commit`; null, undefined or the genesis CID mean the genesis. */
  atCommit (commit: CID | CIDLike | null | undefined): CommitID {
    return new CommitID(this.type, this.cid, commit)
  }

  equals (other: unknown): boolean {
    return StreamID.isStreamID(other) && other.type === this.type && other.cid.equals(this.cid)
  }

  /** Base36 multibase ('k…'). */
  toString (): string {
    if (this.#string == null) {
      this.#string = base36Encode(this.bytes)
      // A new stream's id is printed, then parsed back by the next call that names it.
      rememberParsed(this.#string, this)
    }
    return this.#string
  }

  toUrl (): string {
    return `ceramic://${this.toString()}`
  }

  toJSON (): string {
    return this.toString()
  }

  [Symbol.toPrimitive] (): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return `StreamID(${this.toString()})`
  }
}
