import { CID } from 'multiformats/cid'
import { CommitID, StreamType } from '../ids/index.js'
import type { RawCommit } from '../commits/decode.js'
import type { VerifiedCommit } from '../identity/verify.js'
import { InvalidInputError } from '../errors.js'
import type { CommitRecord, StreamRecord } from '../store/store.js'
import type { StreamState } from '../streams/state.js'

export type RecordFields = Pick<StreamRecord, 'tips' | 'tip' | 'createdAt' | 'updatedAt' | 'pinned' | 'fields'> & {
  /** The genesis's controller (kept in the record only where it differs from the current one). */
  initController: string
}

/** The genesis's controller of a stream: from its record, or for a new stream from its genesis. */
export function initControllerOf (record: StreamRecord | undefined, genesis: RawCommit): string {
  if (record != null) return record.initController ?? record.controller
  if (genesis.kind !== 'genesis') throw new InvalidInputError(`A new stream's first commit must be its genesis, got ${genesis.kind} commit ${genesis.cid.toString()}`)
  return String(genesis.payload.header.controllers[0])
}

/** The store's record of a stream (tips and indexed fields), from its state at the canonical tip. */
export function recordFor (state: StreamState, { initController, ...fields }: RecordFields): StreamRecord {
  const record: StreamRecord = { id: state.id.toString(), type: state.type, controller: state.metadata.controllers[0], ...fields }
  if (initController !== record.controller) record.initController = initController
  if (state.metadata.model != null && state.type === StreamType.MID) record.model = state.metadata.model.toString()
  if (state.metadata.family != null) record.family = state.metadata.family
  if (state.metadata.schema != null) record.schema = state.metadata.schema
  if (state.metadata.tags != null) record.tags = state.metadata.tags
  // Forks are found by their source stream, whatever version of it they were forked from.
  if (state.metadata.forkOf != null) record.forkOf = CommitID.fromString(state.metadata.forkOf).baseID.toString()
  return record
}

/** The store's record of one accepted commit. */
export function commitRecord (stream: string, commit: VerifiedCommit, receivedAt: number, local: boolean): CommitRecord {
  const record: CommitRecord = { stream, cid: commit.cid.toString(), type: commit.kind === 'genesis' ? 0 : commit.kind === 'data' ? 1 : 2, receivedAt }
  if (local) record.local = true
  if (commit.kind !== 'genesis') record.prev = commit.payload.prev.toString()
  if (commit.timestamp != null) record.timestamp = commit.timestamp
  if (commit.expirationTime != null) record.expirationTime = commit.expirationTime
  return record
}

export function parseCidOrThrow (value: string): CID {
  try {
    return CID.parse(value)
  } catch (err) {
    throw new InvalidInputError(`Not a CID: ${value}`, undefined, { cause: err })
  }
}

