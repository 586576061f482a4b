import { toString as bytesToString } from 'uint8arrays'
import { streamTypeName } from '../ids/index.js'
import type { SnapshotLogEntry, SnapshotMetadata, StreamSnapshot } from '../api/types.js'
import type { StreamRecord } from '../store/store.js'
import { type LogEntry, type StreamState, tipOf } from '../streams/state.js'

/**
 * Each log entry's CommitID string, for as long as the entry lives: a stream's cached states share
 * their entries from one version to the next, and every snapshot lists the whole log. Encoding
 * them all anew (base36, about 35 µs each in Chromium) made a write's cost grow with its log.
 */
const commitIds = new WeakMap<LogEntry, { stream: string, commitId: string }>()

function commitIdOf (state: StreamState, entry: LogEntry): string {
  const stream = state.id.toString()
  const known = commitIds.get(entry)
  if (known?.stream === stream) return known.commitId
  const commitId = state.id.atCommit(entry.cid).toString()
  commitIds.set(entry, { stream, commitId })
  return commitId
}

/** A stream's state as the API returns it: plain data, safe to clone across a worker boundary. */
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
    commitId: commitIdOf(state, state.log[state.log.length - 1]),
    tip: tip.toString(),
    // A copy: the node caches states, and a caller changing its snapshot must not change the cache.
    content: structuredClone(state.content),
    metadata,
    log: state.log.map((entry) => {
      const item: SnapshotLogEntry = { cid: entry.cid.toString(), commitId: commitIdOf(state, entry), type: entry.type }
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
