import type { StreamRecord } from '../store/store.js'
import type { StreamState } from '../streams/state.js'

interface Entry { record: StreamRecord, states: Map<string, StreamState> }

/**
 * The most recently used streams' records and tip states, so reads and writes skip the store's
 * read transactions. Coherent because the node is its store's only writer (the store's lock): every
 * write goes through `remember`, and a failed write `forget`s the stream.
 */
export interface StateCache {
  record: (id: string) => StreamRecord | undefined
  state: (id: string, tip: string) => StreamState | undefined
  remember: (record: StreamRecord, tip?: string, state?: StreamState) => void
  forget: (id: string) => void
}

export const STATE_CACHE_SIZE = 1000

export function createStateCache (size = STATE_CACHE_SIZE): StateCache {
  const entries = new Map<string, Entry>()
  const touch = (id: string): Entry | undefined => {
    const entry = entries.get(id)
    if (entry != null) { entries.delete(id); entries.set(id, entry) }
    return entry
  }
  return {
    record: (id) => touch(id)?.record,
    state: (id, tip) => touch(id)?.states.get(tip),
    remember (record, tip, state) {
      const entry = touch(record.id) ?? { record, states: new Map() }
      entry.record = record
      // Only current tips are kept: a superseded tip's state is history, replayed on demand.
      for (const known of [...entry.states.keys()]) if (!record.tips.includes(known)) entry.states.delete(known)
      if (tip != null && state != null) entry.states.set(tip, state)
      entries.set(record.id, entry)
      if (entries.size > size) entries.delete(entries.keys().next().value as string)
    },
    forget: (id) => { entries.delete(id) }
  }
}
