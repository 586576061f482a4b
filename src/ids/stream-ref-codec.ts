/**
 * The byte and string layout shared by StreamID and CommitID (CIP-59), kept apart from the
 * classes so both can use it without importing each other:
 *
 *   varint(0xce) | varint(type) | genesis CID | (nothing → StreamID, 0x00 → CommitID at genesis,
 *                                               a second CID → CommitID at that commit)
 */
import { base36 } from 'multiformats/bases/base36'
import { CID } from 'multiformats/cid'
import { InvalidIdError } from '../errors.js'
import { encodeVarint, readVarint } from './varint.js'

/** The multicodec of StreamIDs (and of EventIds, which reuse it with type 5). */
export const STREAMID_CODEC = 0xce

/**
 * Any CID, whichever copy of multiformats made it: dids hands out v13 CIDs, whose TypeScript
 * type is not assignable to v14's. Inputs take this; stored and returned CIDs are always v14.
 */
export interface CIDLike {
  readonly version: number
  readonly code: number
  readonly bytes: Uint8Array
  readonly '/': Uint8Array
}

/** `commit` absent → a StreamID; `null` → a CommitID at the genesis; a CID → a CommitID at it. */
export interface StreamRefParts {
  type: number
  genesis: CID
  commit?: CID | null
}

/**
 * Accepts a CID from any copy of multiformats (v13 via dids, v14 here), never `instanceof`.
 * Only CIDv1: a CIDv0 has no version byte, so js-ceramic could not read the bytes back.
 */
export function toCID (value: unknown, what: string): CID {
  const cid = CID.asCID(value)
  if (cid == null) throw new InvalidIdError(`The ${what} is not a CID`)
  if (cid.version !== 1) throw new InvalidIdError(`The ${what} must be a CIDv1, got CIDv${cid.version}: ${cid.toString()}`)
  return cid
}

/** Any non-negative integer is accepted, as js-ceramic does: unknown types only fail in `typeName`. */
export function checkType (type: unknown): number {
  if (typeof type !== 'number' || !Number.isSafeInteger(type) || type < 0) {
    throw new InvalidIdError(`Stream type must be a non-negative integer, got ${String(type)}`)
  }
  return type
}

/** A commit equal to the genesis means the genesis, as js-ceramic's `parseCommit`. */
export function normaliseCommit (genesis: CID, commit: unknown): CID | null {
  if (commit == null) return null
  const cid = toCID(commit, 'commit')
  return cid.equals(genesis) ? null : cid
}

export function encodeStreamRef (parts: StreamRefParts): Uint8Array {
  const chunks = [encodeVarint(STREAMID_CODEC), encodeVarint(parts.type), parts.genesis.bytes]
  if (parts.commit !== undefined) chunks.push(parts.commit?.bytes ?? Uint8Array.of(0))
  let length = 0
  for (const c of chunks) length += c.length
  const out = new Uint8Array(length)
  let offset = 0
  for (const c of chunks) { out.set(c, offset); offset += c.length }
  return out
}

function readCid (bytes: Uint8Array, offset: number, what: string): [CID, number] {
  if (offset >= bytes.length) throw new InvalidIdError(`Truncated ${what}: the CID is missing`)
  if (bytes[offset] !== 1) throw new InvalidIdError(`Malformed ${what}: expected a CIDv1 (version byte 0x01), got 0x${bytes[offset].toString(16)}`)
  try {
    const [cid, rest] = CID.decodeFirst(bytes.subarray(offset))
    return [cid, bytes.length - rest.length]
  } catch (err) {
    throw new InvalidIdError(`Malformed or truncated CID in ${what}`, undefined, { cause: err })
  }
}

/** Splits the bytes of a StreamID or CommitID; `title` names what the caller expected. */
export function decodeStreamRef (input: Uint8Array, title: string): StreamRefParts {
  if (!(input instanceof Uint8Array)) throw new InvalidIdError(`${title} bytes must be a Uint8Array`)
  const bytes = input.slice() // the CIDs keep views into it; do not share the caller's buffer
  const [codec, afterCodec] = readVarint(bytes, 0, `${title} multicodec`)
  if (codec !== STREAMID_CODEC) {
    throw new InvalidIdError(`Invalid ${title}: multicodec 0x${codec.toString(16)} is not the StreamID codec 0xce`)
  }
  const [type, afterType] = readVarint(bytes, afterCodec, `${title} stream type`)
  const [genesis, afterGenesis] = readCid(bytes, afterType, `${title} genesis`)
  if (afterGenesis === bytes.length) return { type, genesis }
  if (afterGenesis === bytes.length - 1 && bytes[afterGenesis] === 0) return { type, genesis, commit: null }
  const [commit, end] = readCid(bytes, afterGenesis, `${title} commit`)
  // js-ceramic ignores bytes after the commit CID; they cannot round-trip, so refuse them.
  if (end !== bytes.length) throw new InvalidIdError(`Invalid ${title}: ${bytes.length - end} unexpected bytes after the commit CID`)
  return { type, genesis, commit: normaliseCommit(genesis, commit) }
}

// js-ceramic's pattern, anchored here: theirs would take the first alphanumeric run anywhere.
const URL_PATTERN = /^(?:ceramic:\/\/|\/ceramic\/)?([a-zA-Z0-9]+)(?:\?commit=([a-zA-Z0-9]+))?$/

/** Parses 'k…', 'ceramic://k…', '/ceramic/k…', each optionally with '?commit=<cid | 0>'. */
export function parseStreamRefString (input: string, title: string): StreamRefParts {
  if (typeof input !== 'string') throw new InvalidIdError(`${title} must be a string`)
  const match = URL_PATTERN.exec(input)
  if (match == null) throw new InvalidIdError(`Malformed ${title} string "${input}": expected [ceramic://]k…[?commit=<cid>]`, { input })
  const [, base, commitText] = match
  let bytes: Uint8Array
  try {
    bytes = base36.decode(base)
  } catch (err) {
    throw new InvalidIdError(`Malformed ${title} string "${input}": not base36 multibase (prefix "k")`, { input }, { cause: err })
  }
  const parts = decodeStreamRef(bytes, title)
  if (commitText === undefined) return parts
  if (parts.commit !== undefined) {
    throw new InvalidIdError(`Malformed ${title} string "${input}": a CommitID cannot take another ?commit=`, { input })
  }
  return { ...parts, commit: parseCommitText(parts.genesis, commitText, input) }
}

/** '0' means the genesis, as in js-ceramic; anything else must be a CID string. */
function parseCommitText (genesis: CID, text: string, input: string): CID | null {
  if (text === '0') return null
  let commit: CID
  try {
    commit = CID.parse(text)
  } catch (err) {
    throw new InvalidIdError(`Malformed commit in "${input}": "${text}" is neither a CID nor 0 (the genesis)`, { input }, { cause: err })
  }
  return normaliseCommit(genesis, commit)
}
