/**
 * The encodings ceramic-one's HTTP API uses (api/ceramic.yaml, 0.58): multibase strings for event
 * CARs and ids, and its StreamState shape. Pure: bytes and snapshots in, JSON-ready values out.
 */
import { bases } from 'multiformats/basics'
import { CID } from 'multiformats/cid'
import { fromString as bytesFromString } from 'uint8arrays'
import type { StreamSnapshot } from '../api/types.js'
import { InvalidIdError, InvalidInputError } from '../errors.js'
import { StreamID } from '../ids/index.js'

/** ceramic-one's StreamState: every value but `id`, `event_cid` and `controller` is multibase. */
export interface CeramicStreamState {
  id: string
  event_cid: string
  controller: string
  dimensions: Record<string, string>
  data: string
}

const BY_PREFIX = new Map(Object.values(bases).map((base) => [base.prefix as string, base]))

/** Bytes of a multibase string in any base ceramic-one accepts (its prefix names the base). */
export function decodeMultibase (text: string): Uint8Array {
  const base = BY_PREFIX.get(text.charAt(0))
  if (base == null) throw new InvalidInputError(`Not a multibase string: unknown prefix "${text.charAt(0)}"`)
  try {
    return base.decode(text)
  } catch (err) {
    throw new InvalidInputError(`Not valid ${base.name} multibase: ${(err as Error).message}`, undefined, { cause: err })
  }
}

/** Event CARs travel as multibase base64 (`m…`), as ceramic-one returns them and the SDK reads them. */
export function encodeEventData (car: Uint8Array): string {
  return bases.base64.encode(car)
}

/** An event id as ceramic-one takes it: the multibase (usually base32 `b…`) string of the event's root CID. */
export function parseEventCid (text: string): CID {
  try {
    return CID.decode(decodeMultibase(text))
  } catch (err) {
    throw new InvalidIdError(`Not an event CID: ${text}`, { id: text }, { cause: err })
  }
}

/**
 * A Kiln snapshot in ceramic-one's shape. Dimensions are the init event's `model`, `controller`,
 * `context` and `unique` (empty bytes when absent), each base64url multibase; `data` is base64url
 * of the JSON `{metadata, content}` ceramic-one aggregates, whose metadata is `shouldIndex`.
 */
export function toCeramicStreamState (snapshot: StreamSnapshot): CeramicStreamState {
  const { metadata } = snapshot
  const controller = metadata.controllers[0]
  const dimensions: Record<string, string> = {}
  if (metadata.model != null) dimensions.model = base64url(StreamID.fromString(metadata.model).bytes)
  dimensions.controller = base64url(new TextEncoder().encode(controller))
  dimensions.context = base64url(metadata.context == null ? new Uint8Array() : StreamID.fromString(metadata.context).bytes)
  dimensions.unique = base64url(uniqueBytes(snapshot))
  const data = { metadata: { shouldIndex: metadata.shouldIndex ?? true }, content: snapshot.content ?? null }
  return {
    id: snapshot.id,
    event_cid: snapshot.tip,
    controller,
    dimensions,
    data: base64url(new TextEncoder().encode(JSON.stringify(data)))
  }
}

/** Snapshots carry a Model's or MID's `unique` as base64 of its bytes, a Tile's as its string. */
function uniqueBytes (snapshot: StreamSnapshot): Uint8Array {
  const unique = snapshot.metadata.unique
  if (unique == null) return new Uint8Array()
  return snapshot.typeName === 'tile' ? new TextEncoder().encode(unique) : bytesFromString(unique, 'base64')
}

function base64url (bytes: Uint8Array): string {
  return bases.base64url.encode(bytes)
}
