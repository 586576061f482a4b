/**
 * Ceramic EventIds, the keys Recon orders and reconciles, as rust-ceramic builds them
 * (core/src/event_id.rs), which differs from the CIP-124 text: there is no event height, and the
 * separator hash covers sepKey and sepValue concatenated with no '|' between them.
 *
 *   varint(0xce) | varint(0x05) | varint(network) | last8(sha256(sepKey ‖ sepValue))
 *   | last8(sha256(controller)) | last4(initCid.bytes) | eventCid.bytes
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import { InvalidIdError } from '../errors.js'
import { STREAMID_CODEC, type CIDLike } from './stream-ref-codec.js'
import { encodeVarint, readVarint } from './varint.js'

/** The "stream type" slot that marks an EventId (CIP-59 table, code 5). */
export const EVENT_ID_TYPE = 0x05

/** Network ids (CIP tables/networkIds.csv); local networks are `localNetwork(id)`. */
export const NETWORK = { MAINNET: 0, TESTNET_CLAY: 1, DEV_UNSTABLE: 2, INMEMORY: 0xff } as const

/** Local network ids are offset by 2^32 (rust-ceramic `Network::Local(id)`). */
export const LOCAL_NETWORK_OFFSET = 0x1_0000_0000

/** @example localNetwork(0xce4a441c) // 0x1ce4a441c */
export function localNetwork (id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff_ffff) throw new InvalidIdError(`Local network id must be a u32, got ${String(id)}`)
  return LOCAL_NETWORK_OFFSET + id
}

/** Fenceposts: every EventId sorts after MIN and before MAX. */
export const EVENT_ID_MIN = new Uint8Array()
export const EVENT_ID_MAX = Uint8Array.of(0xff)

const SEPARATOR_LENGTH = 8
const CONTROLLER_LENGTH = 8
const INIT_LENGTH = 4

export interface EventIdInit {
  network: number
  /** The separator key, e.g. 'model'. */
  sepKey: string
  /** The separator value, e.g. the model's StreamID bytes. */
  sepValue: Uint8Array
  /** The stream controller's DID. */
  controller: string
  /** The CID of the stream's init (genesis) event. */
  initCid: CID | CIDLike
  eventCid: CID | CIDLike
}

export interface DecodedEventId {
  network: number
  separator: Uint8Array
  controller: Uint8Array
  init: Uint8Array
  eventCid: CID
}

const utf8 = new TextEncoder()

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

function last (bytes: Uint8Array, n: number): Uint8Array {
  return bytes.slice(bytes.length - n)
}

function asCid (value: unknown, what: string): CID {
  const cid = CID.asCID(value)
  if (cid == null) throw new InvalidIdError(`EventId ${what} is not a CID`)
  return cid
}

/**
 * Builds the EventId bytes of one event.
 * @example createEventId({ network: NETWORK.MAINNET, sepKey: 'model', sepValue: model.bytes, controller: did, initCid, eventCid })
 */
export function createEventId (init: EventIdInit): Uint8Array {
  return concat([eventIdPrefix(init), asCid(init.eventCid, 'eventCid').bytes])
}

/**
 * The bytes every EventId of one stream shares (all but the event CID): computed once per stream,
 * the two hashes in it are most of an EventId's cost when an index is built from thousands of commits.
 * @example concat([eventIdPrefix({ network, sepKey, sepValue, controller, initCid }), eventCid.bytes])
 */
export function eventIdPrefix (init: Omit<EventIdInit, 'eventCid'>): Uint8Array {
  return concat([eventIdHeader(init.network), eventIdStreamPart(init)])
}

/** What every EventId of one network starts with: the multicodec, the EventId type and the network. */
export function eventIdHeader (network: number): Uint8Array {
  return concat([encodeVarint(STREAMID_CODEC), encodeVarint(EVENT_ID_TYPE), encodeVarint(network)])
}

/**
 * The stream's part of an EventId, between the header and the event CID: the separator, controller
 * and init hashes. It does not depend on the network, so a store can keep it for any network.
 * @example concat([eventIdHeader(network), eventIdStreamPart({ sepKey, sepValue, controller, initCid }), eventCid.bytes])
 */
export function eventIdStreamPart (init: Omit<EventIdInit, 'eventCid' | 'network'>): Uint8Array {
  const initCid = asCid(init.initCid, 'initCid')
  if (!(init.sepValue instanceof Uint8Array)) throw new InvalidIdError('EventId sepValue must be a Uint8Array')
  if (initCid.bytes.length < INIT_LENGTH) throw new InvalidIdError('EventId initCid is shorter than 4 bytes')
  return concat([
    last(sha256(concat([utf8.encode(init.sepKey), init.sepValue])), SEPARATOR_LENGTH),
    last(sha256(utf8.encode(init.controller)), CONTROLLER_LENGTH),
    last(initCid.bytes, INIT_LENGTH)
  ])
}

export interface EventIdRangeInit {
  network: number
  sepKey: string
  sepValue: Uint8Array
  /** Narrows the range to one controller's events under the separator. */
  controller?: string
}

/**
 * The key range [first, last) holding every EventId of one separator (e.g. one Model), or of one
 * controller under it: what a Recon interest covers.
 * @example eventIdRange({ network: NETWORK.INMEMORY, sepKey: 'model', sepValue: model.bytes })
 */
export function eventIdRange (init: EventIdRangeInit): { first: Uint8Array, last: Uint8Array } {
  const parts = [
    encodeVarint(STREAMID_CODEC),
    encodeVarint(EVENT_ID_TYPE),
    encodeVarint(init.network),
    last(sha256(concat([utf8.encode(init.sepKey), init.sepValue])), SEPARATOR_LENGTH)
  ]
  if (init.controller != null) parts.push(last(sha256(utf8.encode(init.controller)), CONTROLLER_LENGTH))
  const first = concat(parts)
  return { first, last: prefixEnd(first) }
}

/** The smallest key above every key that starts with `prefix`. */
function prefixEnd (prefix: Uint8Array): Uint8Array {
  const end = prefix.slice()
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]++
      return end.slice(0, i + 1)
    }
  }
  return EVENT_ID_MAX
}

/**
 * Splits a complete EventId. Fenceposts and range bounds (no event CID, or a trailing 0xff)
 * are not EventIds and are refused, as are bytes after the event CID.
 * @example decodeEventId(eventId).eventCid.equals(eventCid) // true
 */
export function decodeEventId (input: Uint8Array): DecodedEventId {
  if (!(input instanceof Uint8Array)) throw new InvalidIdError('EventId must be a Uint8Array')
  const bytes = input.slice()
  const [codec, afterCodec] = readVarint(bytes, 0, 'EventId multicodec')
  if (codec !== STREAMID_CODEC) throw new InvalidIdError(`Invalid EventId: multicodec 0x${codec.toString(16)} is not 0xce`)
  const [type, afterType] = readVarint(bytes, afterCodec, 'EventId type')
  if (type !== EVENT_ID_TYPE) throw new InvalidIdError(`Invalid EventId: type ${type} is not 5 (a StreamID or CommitID?)`)
  const [network, start] = readVarint(bytes, afterType, 'EventId network')
  const cidStart = start + SEPARATOR_LENGTH + CONTROLLER_LENGTH + INIT_LENGTH
  if (bytes.length <= cidStart) throw new InvalidIdError(`Truncated EventId: ${bytes.length} bytes, the event CID is missing`)
  let eventCid: CID
  let rest: Uint8Array
  try {
    [eventCid, rest] = CID.decodeFirst(bytes.subarray(cidStart))
  } catch (err) {
    throw new InvalidIdError('Malformed or truncated event CID in EventId', undefined, { cause: err })
  }
  if (rest.length > 0) throw new InvalidIdError(`Invalid EventId: ${rest.length} unexpected bytes after the event CID`)
  return {
    network,
    separator: bytes.slice(start, start + SEPARATOR_LENGTH),
    controller: bytes.slice(start + SEPARATOR_LENGTH, start + SEPARATOR_LENGTH + CONTROLLER_LENGTH),
    init: bytes.slice(start + SEPARATOR_LENGTH + CONTROLLER_LENGTH, cidStart),
    eventCid
  }
}

/**
 * Recon's order: plain bytewise comparison, a prefix sorting first (Rust's `Vec<u8>` Ord).
 * @example eventIds.sort(compareEventIds)
 */
export function compareEventIds (a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i]
  }
  return a.length - b.length
}
