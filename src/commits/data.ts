import jsonPatch from 'fast-json-patch'
import type { Operation } from 'fast-json-patch'
import type { CID } from 'multiformats/cid'
import type { GenesisHeader } from './genesis.js'

export type { Operation as PatchOperation }

/** The header fields a data commit may carry (which ones a stream type accepts is the reducer's call). */
export type DataHeader = Partial<Pick<GenesisHeader, 'controllers' | 'family' | 'schema' | 'tags' | 'shouldIndex'>>

/** A data (update) commit: `{id, prev, header?, data: JSON-Patch}`, as Ceramic's RawCommit. */
export interface DataPayload {
  id: CID
  prev: CID
  header?: DataHeader
  data: Operation[]
}

export interface DataCommitInit {
  genesis: CID
  prev: CID
  patch: Operation[]
  header?: DataHeader
}

export function dataCommit (init: DataCommitInit): DataPayload {
  const payload: DataPayload = { data: init.patch, prev: init.prev, id: init.genesis }
  if (init.header != null && Object.keys(init.header).length > 0) payload.header = init.header
  return payload
}

/** The JSON-Patch that turns one content into another, as Ceramic computes it (fast-json-patch compare). */
export function diffContent (from: unknown, to: unknown): Operation[] {
  return jsonPatch.compare((from ?? {}) as object, (to ?? {}) as object)
}

/** Applies a patch without touching the input (reducers must not mutate state). */
export function applyPatch<T> (content: T, patch: Operation[]): T {
  const copy = structuredClone(content ?? {})
  return jsonPatch.applyPatch(copy, patch, true, true).newDocument as T
}
