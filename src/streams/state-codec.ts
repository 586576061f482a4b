import * as dagCbor from '@ipld/dag-cbor'
import { StreamID } from '../ids/index.js'
import { CorruptStoreError } from '../errors.js'
import { asCid } from '../commits/block.js'
import type { LogEntry, StreamMetadata, StreamState } from './state.js'

/**
 * States are stored as dag-cbor: CIDs stay CIDs, StreamIDs become their bytes, and `undefined`
 * fields are left out (dag-cbor has no undefined).
 */
export function encodeState (state: StreamState): Uint8Array {
  const { model, context, ...rest } = state.metadata
  const metadata: Record<string, unknown> = dropUndefined(rest)
  if (model != null) metadata.model = model.bytes
  if (context != null) metadata.context = context.bytes
  return dagCbor.encode(dropUndefined({
    id: state.id.bytes,
    type: state.type,
    content: state.content ?? null,
    metadata,
    signature: state.signature,
    anchorStatus: state.anchorStatus,
    anchorProof: state.anchorProof,
    log: state.log.map((entry) => dropUndefined({ ...entry }))
  }))
}

export function decodeState (bytes: Uint8Array): StreamState {
  try {
    const raw = dagCbor.decode<Record<string, any>>(bytes)
    const metadata = { ...raw.metadata } as StreamMetadata & { model?: unknown, context?: unknown }
    if (raw.metadata.model != null) metadata.model = StreamID.fromBytes(raw.metadata.model)
    if (raw.metadata.context != null) metadata.context = StreamID.fromBytes(raw.metadata.context)
    const state: StreamState = {
      id: StreamID.fromBytes(raw.id),
      type: raw.type,
      content: raw.content,
      metadata: metadata as StreamMetadata,
      signature: raw.signature,
      anchorStatus: raw.anchorStatus,
      log: (raw.log as LogEntry[]).map((entry) => ({ ...entry, cid: asCid(entry.cid) as LogEntry['cid'] }))
    }
    if (raw.anchorProof != null) state.anchorProof = raw.anchorProof
    return state
  } catch (err) {
    throw new CorruptStoreError('A stored stream state cannot be decoded', undefined, { cause: err })
  }
}

function dropUndefined<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T
}
