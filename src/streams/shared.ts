import type { Operation } from 'fast-json-patch'
import type { VerifiedCommit } from '../identity/verify.js'
import { applyPatch } from '../commits/data.js'
import { CommitID } from '../ids/index.js'
import { InvalidInputError, MalformedCommitError } from '../errors.js'
import type { EventTypeCode, LogEntry } from './state.js'

/** A log entry for a genesis or data commit, carrying the CACAO expiry as Ceramic does. */
export function signedEntry (commit: VerifiedCommit, type: EventTypeCode): LogEntry {
  return commit.expirationTime == null ? { cid: commit.cid, type } : { cid: commit.cid, type, expirationTime: commit.expirationTime }
}

export function patchOrThrow (content: unknown, patch: Operation[]): unknown {
  try {
    return applyPatch(content, patch)
  } catch (err) {
    throw new MalformedCommitError(`JSON-Patch does not apply: ${(err as Error).message}`, undefined, { cause: err })
  }
}

/** Ceramic allows exactly one controller, and it must be a DID. */
export function assertOneController (controllers: unknown): void {
  if (!Array.isArray(controllers) || controllers.length !== 1) throw new InvalidInputError('Exactly one controller must be specified')
  if (typeof controllers[0] !== 'string' || !/^did:[a-z0-9]+:\S+$/.test(controllers[0])) {
    throw new InvalidInputError(`Controller must be a DID, got ${String(controllers[0])}`)
  }
}

/**
 * A genesis header's fork provenance, when it names a commit: anything else there is ignored, as
 * Ceramic's handlers ignore the field altogether (a stream is not refused for it).
 */
export function forkProvenance (forkOf: unknown): string | undefined {
  if (typeof forkOf !== 'string') return undefined
  try {
    return CommitID.fromString(forkOf).toString()
  } catch {
    return undefined
  }
}
