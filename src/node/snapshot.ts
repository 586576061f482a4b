import { toString as bytesToString } from 'uint8arrays'
import { streamTypeName } from '../ids/index.js'
import type { StreamRecord } from '../store/store.js'
import { type StreamState, tipOf } from '../streams/state.js'

/**
 * A stream as the API returns it: plain data (strings for ids and CIDs) that survives
 * structured clone across a worker boundary and JSON on a CLI.
 */
export interface StreamSnapshot {
  id: string
  type: number
  typeName: string
  /** CommitID of the state shown: load it later to see exactly this version. */
  commitId: string
  tip: string
  content: unknown
  metadata: SnapshotMetadata
  log: SnapshotLogEntry[]
  signature: number
  anchorStatus: number
  /** Every branch tip known for the stream; more than one means concurrent writes were kept. */
  tips: string[]
  /** True for a state loaded at a CommitID: history is read-only. */
  readOnly: boolean
}

export interface SnapshotMetadata {
  controllers: string[]
  family?: string
  schema?: string
  tags?: string[]
  model?: string
  context?: string
  /** Tile: the genesis' random string; Model/MID: base64 of its bytes. */
  unique?: string
  shouldIndex?: boolean
  forbidControllerChange?: boolean
}

export interface SnapshotLogEntry {
  cid: string
  commitId: string
  type: number
  timestamp?: number
  expirationTime?: number
}

export function toSnapshot (state: StreamState, record?: StreamRecord, readOnly = false): StreamSnapshot {
  const { model, context, unique, ...rest } = state.metadata
  const metadata: SnapshotMetadata = { ...rest }
  if (model != null) metadata.model = model.toString()
  if (context != null) metadata.context = context.toString()
  if (unique != null) metadata.unique = typeof unique === 'string' ? unique : bytesToString(unique, 'base64')
  const tip = tipOf(state)
  return {
    id: state.id.toString(),
    type: state.type,
    typeName: safeTypeName(state.type),
    commitId: state.id.atCommit(tip).toString(),
    tip: tip.toString(),
    // A copy: the node caches states, and a caller changing its snapshot must not change the cache.
    content: structuredClone(state.content),
    metadata,
    log: state.log.map((entry) => {
      const item: SnapshotLogEntry = { cid: entry.cid.toString(), commitId: state.id.atCommit(entry.cid).toString(), type: entry.type }
      if (entry.timestamp != null) item.timestamp = entry.timestamp
      if (entry.expirationTime != null) item.expirationTime = entry.expirationTime
      return item
    }),
    signature: state.signature,
    anchorStatus: state.anchorStatus,
    tips: record?.tips ?? [tip.toString()],
    readOnly
  }
}

function safeTypeName (type: number): string {
  try {
    return streamTypeName(type)
  } catch {
    return String(type)
  }
}
