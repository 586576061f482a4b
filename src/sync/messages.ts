/**
 * Pubsub messages, byte-compatible with js-ceramic's (reference/ceramic.md §1.10): JSON in UTF-8,
 * `typ` numeric. Kiln sends only UPDATE; catch-up runs over its own protocol (heads-sync.ts), so
 * QUERY/RESPONSE/KEEPALIVE from a Ceramic-style peer are recognised and ignored, not punished.
 */
import { CID } from 'multiformats/cid'
import { StreamID } from '../ids/index.js'
import { MAX_UPDATE_MESSAGE_BYTES } from './constants.js'
import { type KilnError, SyncProtocolError } from '../errors.js'

export const MsgType = { UPDATE: 0, QUERY: 1, RESPONSE: 2, KEEPALIVE: 3 } as const

/** "Stream `stream` has a new tip `tip`": peers fetch the commits from the sender. */
export interface UpdateMessage {
  typ: typeof MsgType.UPDATE
  stream: string
  tip: string
  /** The Model of a ModelInstanceDocument, so peers can filter by interest without fetching. */
  model?: string
}

export type DecodedMessage =
  | { ok: true, message: UpdateMessage }
  | { ok: true, ignored: number }
  | { ok: false, error: KilnError }

export function encodeUpdate (update: Omit<UpdateMessage, 'typ'>): Uint8Array {
  const message: UpdateMessage = { typ: MsgType.UPDATE, stream: update.stream, tip: update.tip }
  if (update.model != null) message.model = update.model
  return new TextEncoder().encode(JSON.stringify(message))
}

/**
 * Decodes and validates a pubsub message. Never throws: a malformed or oversize message comes
 * back as `{ ok: false }` for the caller to count against the peer that sent it.
 */
export function decodeMessage (bytes: Uint8Array): DecodedMessage {
  try {
    return parse(bytes)
  } catch (err) {
    const error = err instanceof SyncProtocolError ? err : new SyncProtocolError('Malformed pubsub message', undefined, { cause: err })
    return { ok: false, error }
  }
}

function parse (bytes: Uint8Array): DecodedMessage {
  if (bytes.length > MAX_UPDATE_MESSAGE_BYTES) {
    throw new SyncProtocolError(`Pubsub message of ${bytes.length} bytes exceeds ${MAX_UPDATE_MESSAGE_BYTES}`, { size: bytes.length, limit: MAX_UPDATE_MESSAGE_BYTES })
  }
  const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new SyncProtocolError('A pubsub message must be a JSON object')
  const { typ, stream, tip, model } = value as Record<string, unknown>
  if (typ === MsgType.QUERY || typ === MsgType.RESPONSE || typ === MsgType.KEEPALIVE) return { ok: true, ignored: typ }
  if (typ !== MsgType.UPDATE) throw new SyncProtocolError(`Unknown pubsub message type ${String(typ)}`)
  const message: UpdateMessage = { typ: MsgType.UPDATE, stream: streamId(stream, 'stream'), tip: cid(tip) }
  if (model != null) message.model = streamId(model, 'model')
  return { ok: true, message }
}

/** Canonical string forms, so `stream/tip` keys compare equal however the sender spelled them. */
function streamId (value: unknown, field: string): string {
  if (typeof value !== 'string') throw new SyncProtocolError(`UPDATE \`${field}\` must be a StreamID string`)
  try {
    return StreamID.fromString(value).toString()
  } catch (err) {
    throw new SyncProtocolError(`UPDATE \`${field}\` is not a StreamID`, { [field]: value.slice(0, 100) }, { cause: err })
  }
}

function cid (value: unknown): string {
  if (typeof value !== 'string') throw new SyncProtocolError('UPDATE `tip` must be a CID string')
  try {
    return CID.parse(value).toString()
  } catch (err) {
    throw new SyncProtocolError('UPDATE `tip` is not a CID', { tip: value.slice(0, 100) }, { cause: err })
  }
}
