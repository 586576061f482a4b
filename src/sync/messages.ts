/**
 * Pubsub messages, byte-compatible with js-ceramic's (reference/ceramic.md §1.10): JSON in UTF-8,
 * `typ` numeric. Kiln sends only UPDATE; catch-up runs over its own protocol (heads-sync.ts), so
 * QUERY/RESPONSE/KEEPALIVE from a Ceramic-style peer are recognised and ignored, not punished.
 */
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import type { Block } from '../commits/block.js'
import { StreamID } from '../ids/index.js'
import { MAX_CARRIED_BLOCK_BYTES, MAX_UPDATE_MESSAGE_BYTES } from './constants.js'
import { type KilnError, SyncProtocolError } from '../errors.js'

export const MsgType = { UPDATE: 0, QUERY: 1, RESPONSE: 2, KEEPALIVE: 3 } as const

/** "Stream `stream` has a new tip `tip`": peers fetch the commits from the sender. */
export interface UpdateMessage {
  typ: typeof MsgType.UPDATE
  stream: string
  tip: string
  /** The Model of a ModelInstanceDocument, so peers can filter by interest without fetching. */
  model?: string
  /**
   * Kiln's addition: the blocks of a small commit run (CID → bytes), so the next hop can verify
   * and store it without asking. Unchecked here: loading a commit hashes every block it reads.
   * Ceramic's decoder ignores the field.
   */
  blocks?: Map<string, Uint8Array>
}

export type DecodedMessage =
  | { ok: true, message: UpdateMessage }
  | { ok: true, ignored: number }
  | { ok: false, error: KilnError }

export interface UpdateToEncode {
  stream: string
  tip: string
  model?: string
  /** The run's blocks: carried only when they fit in MAX_CARRIED_BLOCK_BYTES, else left for the peer to fetch. */
  blocks?: readonly Block[]
}

export function encodeUpdate (update: UpdateToEncode): Uint8Array {
  const message: Record<string, unknown> = { typ: MsgType.UPDATE, stream: update.stream, tip: update.tip }
  if (update.model != null) message.model = update.model
  if (update.blocks != null && update.blocks.length > 0 && carriedSize(update.blocks) <= MAX_CARRIED_BLOCK_BYTES) {
    message.blocks = Object.fromEntries(update.blocks.map((block) => [block.cid.toString(), base64url.baseEncode(block.bytes)]))
  }
  return new TextEncoder().encode(JSON.stringify(message))
}

function carriedSize (blocks: readonly Block[]): number {
  return blocks.reduce((sum, block) => sum + block.bytes.length, 0)
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
  const { typ, stream, tip, model, blocks } = value as Record<string, unknown>
  if (typ === MsgType.QUERY || typ === MsgType.RESPONSE || typ === MsgType.KEEPALIVE) return { ok: true, ignored: typ }
  if (typ !== MsgType.UPDATE) throw new SyncProtocolError(`Unknown pubsub message type ${String(typ)}`)
  const message: UpdateMessage = { typ: MsgType.UPDATE, stream: streamId(stream, 'stream'), tip: cid(tip) }
  if (model != null) message.model = streamId(model, 'model')
  if (blocks != null) message.blocks = carried(blocks)
  return { ok: true, message }
}

function carried (value: unknown): Map<string, Uint8Array> {
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new SyncProtocolError('UPDATE `blocks` must map CIDs to base64url bytes')
  const blocks = new Map<string, Uint8Array>()
  let size = 0
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') throw new SyncProtocolError('An UPDATE block must be a base64url string')
    let bytes: Uint8Array
    try {
      bytes = base64url.baseDecode(text)
    } catch (err) {
      throw new SyncProtocolError('An UPDATE block is not base64url', undefined, { cause: err })
    }
    size += bytes.length
    if (size > MAX_CARRIED_BLOCK_BYTES) throw new SyncProtocolError(`UPDATE blocks exceed ${MAX_CARRIED_BLOCK_BYTES} bytes`, { limit: MAX_CARRIED_BLOCK_BYTES })
    blocks.set(cid(key, 'a block\'s key'), bytes)
  }
  return blocks
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

function cid (value: unknown, field = '`tip`'): string {
  if (typeof value !== 'string') throw new SyncProtocolError(`UPDATE ${field} must be a CID string`)
  try {
    return CID.parse(value).toString()
  } catch (err) {
    throw new SyncProtocolError(`UPDATE ${field} is not a CID`, { cid: value.slice(0, 100) }, { cause: err })
  }
}
