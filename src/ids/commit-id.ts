/**
 * CommitID: a stream (type + genesis CID) at one commit (CIP-59). The genesis commit is written
 * as a single 0x00 byte, also when the commit is given as the genesis CID, as js-ceramic does.
 */
import { base36 } from 'multiformats/bases/base36'
import { base36Encode } from './base36.js'
import type { CID } from 'multiformats/cid'
import { InvalidIdError } from '../errors.js'
import { StreamID } from './stream-id.js'
import { checkType, decodeStreamRef, encodeStreamRef, normaliseCommit, parseStreamRefString, toCID, type CIDLike } from './stream-ref-codec.js'
import { streamTypeName, type StreamTypeName } from './stream-type.js'

const TAG = Symbol.for('kiln/ids/CommitID')

export class CommitID {
  readonly type: number
  /** The CID of the stream's genesis commit. */
  readonly cid: CID
  /** null when the commit is the genesis. */
  readonly #commit: CID | null
  #string?: string

  constructor (type: number, cid: CID | CIDLike, commit: CID | CIDLike | null = null) {
    this.type = checkType(type)
    this.cid = toCID(cid, 'genesis CID')
    this.#commit = normaliseCommit(this.cid, commit)
    Object.defineProperty(this, TAG, { value: true })
  }

  static isCommitID (value: unknown): value is CommitID {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TAG] === true
  }

  /** @example CommitID.fromBytes(id.bytes).equals(id) // true */
  static fromBytes (bytes: Uint8Array): CommitID {
    const parts = decodeStreamRef(bytes, 'CommitID')
    if (parts.commit === undefined) {
      throw new InvalidIdError(`Invalid CommitID bytes ${base36.encode(bytes)}: this is a StreamID, it names no commit`)
    }
    return new CommitID(parts.type, parts.genesis, parts.commit)
  }

  /**
   * Accepts 'k…', 'ceramic://k…', '/ceramic/k…', and a StreamID followed by '?commit=<cid>'
   * ('?commit=0' means the genesis). @example CommitID.fromString('kjzl6…?commit=bagcq…')
   */
  static fromString (input: string): CommitID {
    const parts = parseStreamRefString(input, 'CommitID')
    if (parts.commit === undefined) {
      throw new InvalidIdError(`Invalid CommitID string "${input}": this is a StreamID, it names no commit`, { input })
    }
    return new CommitID(parts.type, parts.genesis, parts.commit)
  }

  /** The commit's CID; the genesis CID when this points at the genesis. */
  get commit (): CID {
    return this.#commit ?? this.cid
  }

  get isGenesis (): boolean {
    return this.#commit === null
  }

  get baseID (): StreamID {
    return new StreamID(this.type, this.cid)
  }

  get typeName (): StreamTypeName {
    return streamTypeName(this.type)
  }

  /** StreamID bytes followed by the commit CID's bytes, or by 0x00 for the genesis. */
  get bytes (): Uint8Array {
    return encodeStreamRef({ type: this.type, genesis: this.cid, commit: this.#commit })
  }

  equals (other: unknown): boolean {
    return CommitID.isCommitID(other) && other.type === this.type && other.cid.equals(this.cid) &&
      other.commit.equals(this.commit)
  }

  toString (): string {
    this.#string ??= base36Encode(this.bytes)
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
    return `CommitID(${this.toString()})`
  }
}
