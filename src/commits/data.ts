import jsonPatch from 'fast-json-patch'
import type { Operation } from 'fast-json-patch'
import type { CID } from 'multiformats/cid'
import { StreamType } from '../ids/index.js'
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
  /**
   * The stream's type decides when `header` is written, as Ceramic's own classes write it:
   * TileDocument always writes one (`{}` when no metadata changes; its handler reads
   * `header.controllers` and refuses a commit without it); ModelInstanceDocument only when it
   * holds something. Without a type, an empty header is left out.
   */
  streamType?: number
}

export function dataCommit (init: DataCommitInit): DataPayload {
  const payload: DataPayload = { data: init.patch, prev: init.prev, id: init.genesis }
  const header = init.header ?? {}
  if (init.streamType === StreamType.TILE || Object.keys(header).length > 0) payload.header = header
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
