import { StreamType, type StreamID } from '../ids/index.js'
import type { VerifiedCommit } from '../identity/verify.js'
import { CommitLinkError, ForbiddenChangeError, InvalidInputError } from '../errors.js'
import { applyTimeCommit } from './anchor.js'
import { applyModelGenesis, type ModelDefinition } from './model.js'
import { applyModelInstanceData, applyModelInstanceGenesis } from './model-instance.js'
import { type StreamState, tipOf } from './state.js'
import { applyTileData, applyTileGenesis } from './tile.js'

/** What a reducer may look up: streams already loaded by the caller. Reducers never do I/O. */
export interface ReducerContext {
  streamId: StreamID
  /** The content of a schema stream, by the CommitID string a Tile's `schema` names. */
  schema?: (ref: string) => object | undefined
  /** The definition of a Model, for validating its documents. */
  model?: (id: StreamID) => ModelDefinition | undefined
}

/**
 * Folds one verified commit into a state. Pure and synchronous; throws a typed error and returns
 * nothing when the commit cannot apply, so the caller's state is never half-changed.
 */
export function applyCommit (state: StreamState | undefined, commit: VerifiedCommit, context: ReducerContext): StreamState {
  if (commit.kind === 'genesis') {
    if (state != null) throw new CommitLinkError('A stream has exactly one genesis commit')
    if (!commit.cid.equals(context.streamId.cid)) throw new CommitLinkError(`Genesis ${commit.cid.toString()} is not the genesis of ${context.streamId.toString()}`)
    switch (context.streamId.type) {
      case StreamType.TILE: return applyTileGenesis(commit, context)
      case StreamType.MODEL: return applyModelGenesis(commit, context)
      case StreamType.MID: return applyModelInstanceGenesis(commit, context)
      default: throw new InvalidInputError(`Stream type ${context.streamId.type} is not supported`)
    }
  }
  if (state == null) throw new CommitLinkError('A commit cannot apply before its genesis')
  assertLinksToState(state, commit)
  if (commit.kind === 'time') return applyTimeCommit(state, commit)
  switch (state.type) {
    case StreamType.TILE: return applyTileData(state, commit, context)
    case StreamType.MID: return applyModelInstanceData(state, commit, context)
    case StreamType.MODEL: throw new ForbiddenChangeError('Cannot update a finalized Model')
    default: throw new InvalidInputError(`Stream type ${state.type} is not supported`)
  }
}

// Ceramic's assertCommitLinksToState: `id` is this stream's genesis and `prev` is the tip.
function assertLinksToState (state: StreamState, commit: VerifiedCommit & { payload: { id: unknown, prev: unknown } }): void {
  const { id, prev } = commit.payload as { id: StreamID['cid'], prev: StreamID['cid'] }
  if (!id.equals(state.id.cid)) throw new CommitLinkError(`Commit belongs to stream genesis ${id.toString()}, not ${state.id.toString()}`, { id: id.toString() })
  if (!prev.equals(tipOf(state))) throw new CommitLinkError(`Commit's prev ${prev.toString()} is not the tip ${tipOf(state).toString()}`, { prev: prev.toString(), tip: tipOf(state).toString() })
}
