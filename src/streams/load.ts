import type { CID } from 'multiformats/cid'
import { type CommitID, StreamID, StreamType } from '../ids/index.js'
import type { BlockSource } from '../commits/block.js'
import { type RawCommit, loadCommit } from '../commits/decode.js'
import { MODEL_STREAM_ID, type GenesisPayload } from '../commits/genesis.js'
import { type AnchorValidator, type VerifiedCommit, prefetchSignatures, verifyCommit } from '../identity/verify.js'
import { CommitLinkError } from '../errors.js'
import { applyCommit, type ReducerContext } from './reducer.js'
import { type StreamState, controllerOf } from './state.js'

export interface LoadContext extends Omit<ReducerContext, 'streamId'> {
  /** When commits are judged (CACAO expiry); defaults to now. */
  atTime?: Date
  /**
   * When a commit was first accepted, if known: a commit signed while its session was valid
   * stays valid after the session expires (Ceramic breaks such streams; Kiln must not).
   */
  atTimeOf?: (cid: CID) => Date | undefined
  anchorValidator?: AnchorValidator
}

/** Ceramic logs are short in practice; a bound stops a hostile chain from exhausting memory. */
export const MAX_LOG_LENGTH = 100_000

/** Reads a stream's log back from `tip` to genesis, verifies every commit and folds it into a state. */
export async function loadStream (streamId: StreamID, tip: CID, source: BlockSource, context: LoadContext = {}): Promise<StreamState> {
  const commits = await readLog(tip, source)
  if (!commits[0].cid.equals(streamId.cid)) {
    throw new CommitLinkError(`Commit ${tip.toString()} does not belong to stream ${streamId.toString()}`, { tip: tip.toString() })
  }
  return (await applyCommits(undefined, streamId, commits, context)).state
}

/**
 * Verifies and folds a run of commits (oldest first) onto a state, or from nothing when the run
 * starts at the genesis. Returns the final state; the given state is never changed.
 */
export async function applyCommits (state: StreamState | undefined, streamId: StreamID, commits: RawCommit[], context: LoadContext = {}): Promise<{ state: StreamState, commits: VerifiedCommit[] }> {
  if (commits.length === 0) throw new TypeError('No commits to apply')
  prefetchSignatures(commits)
  const judged = await judgedAtAnchors(streamId, commits, context)
  const verified: VerifiedCommit[] = []
  let current = state
  for (const raw of commits) {
    const next = await applyVerified(current, streamId, raw, judged)
    current = next.state
    verified.push(next.commit)
  }
  return { state: current as StreamState, commits: verified }
}

/**
 * A commit covered by an anchor is judged at the anchor's time, on every node: the chain, not a
 * peer's word or this node's clock, says when it existed (an expired session's commits stay
 * valid if anchored in time). The anchors are checked first; the validator caches its answers.
 */
async function judgedAtAnchors (streamId: StreamID, commits: RawCommit[], context: LoadContext): Promise<LoadContext> {
  if (!commits.some((c) => c.kind === 'time')) return context
  const anchoredAt = new Map<string, Date>()
  let covered: RawCommit[] = []
  for (const commit of commits) {
    if (commit.kind !== 'time') { covered.push(commit); continue }
    const { timestamp } = await verifyCommit(commit, { streamId, controller: '', anchorValidator: context.anchorValidator })
    for (const c of covered) anchoredAt.set(c.cid.toString(), new Date((timestamp as number) * 1000))
    covered = []
  }
  if (anchoredAt.size === 0) return context
  return { ...context, atTimeOf: (cid) => anchoredAt.get(cid.toString()) ?? context.atTimeOf?.(cid) ?? context.atTime }
}

/** The state as it was at a commit (time travel). Frozen: history is read-only. */
export async function loadAtCommit (commitId: CommitID, source: BlockSource, context: LoadContext = {}): Promise<Readonly<StreamState>> {
  const state = await loadStream(commitId.baseID, commitId.commit, source, context)
  Object.freeze(state.log)
  Object.freeze(state.metadata)
  return Object.freeze(state)
}

/** Verifies one new commit against a state and applies it; the given state is never changed. */
export async function applyNewCommit (state: StreamState, cid: CID, source: BlockSource, context: LoadContext = {}): Promise<{ state: StreamState, commit: VerifiedCommit }> {
  return await applyVerified(state, state.id, await loadCommit(cid, source), context)
}

/** Verifies a genesis and builds the stream's first state. */
export async function createFromGenesis (streamId: StreamID, source: BlockSource, context: LoadContext = {}): Promise<{ state: StreamState, commit: VerifiedCommit }> {
  return await applyVerified(undefined, streamId, await loadCommit(streamId.cid, source), context)
}

/** Walks `prev` links from a tip to the genesis; returns the commits oldest first. */
export async function readLog (tip: CID, source: BlockSource): Promise<RawCommit[]> {
  const commits: RawCommit[] = []
  let cid: CID | undefined = tip
  while (cid != null) {
    if (commits.length >= MAX_LOG_LENGTH) throw new CommitLinkError(`Log is longer than ${MAX_LOG_LENGTH} commits`)
    const commit: RawCommit = await loadCommit(cid, source)
    commits.push(commit)
    cid = commit.kind === 'genesis' ? undefined : commit.payload.prev
  }
  return commits.reverse()
}

/** A genesis names its type only through its StreamID; a CAR import infers it from the header. */
export function inferStreamType (genesis: GenesisPayload): number {
  const model = genesis.header.model
  if (model == null) return StreamType.TILE
  return StreamID.fromBytes(model).equals(MODEL_STREAM_ID) ? StreamType.MODEL : StreamType.MID
}

async function applyVerified (state: StreamState | undefined, streamId: StreamID, raw: RawCommit, context: LoadContext): Promise<{ state: StreamState, commit: VerifiedCommit }> {
  const genesisHeader = raw.kind === 'genesis' ? raw.payload.header : undefined
  const controller = state != null ? controllerOf(state) : String(genesisHeader?.controllers[0])
  const model = state?.metadata.model ?? (genesisHeader?.model != null ? StreamID.fromBytes(genesisHeader.model) : undefined)
  const atTime = context.atTimeOf?.(raw.cid) ?? context.atTime
  const commit = await verifyCommit(raw, { streamId, controller, model, atTime, anchorValidator: context.anchorValidator })
  return { state: applyCommit(state, commit, { ...context, streamId }), commit }
}
