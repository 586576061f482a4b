import type { VerifiedCommit } from '../identity/verify.js'
import type { RawTimeCommit } from '../commits/decode.js'
import { AnchorStatus, EventType, type StreamState } from './state.js'

/** Applies a time commit the same way for every stream type: timestamps back-filled, proof kept. */
export function applyTimeCommit (state: StreamState, commit: VerifiedCommit & RawTimeCommit): StreamState {
  const timestamp = commit.timestamp
  const log = state.log.map((entry) => ({ ...entry }))
  // Ceramic stamps every commit since the previous anchor with this anchor's time.
  for (let i = log.length - 1; i >= 0 && log[i].type !== EventType.TIME; i--) log[i].timestamp = timestamp
  log.push({ cid: commit.cid, type: EventType.TIME, timestamp })
  return { ...state, log, anchorStatus: AnchorStatus.ANCHORED, anchorProof: commit.proof }
}
