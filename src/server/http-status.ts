/**
 * One mapping from Kiln's typed errors to HTTP statuses, for every route. A request at fault gets
 * a 4xx; a server that is busy, locked or full says so with a 503 and Retry-After; a 500 is left
 * for real bugs (and logged with its cause by the caller).
 */
import {
  BlockNotFoundError, CapabilityExpiredError, FileTooLargeError, CapabilityScopeError, CommitLinkError, ForbiddenChangeError, InvalidAnchorError,
  InvalidCapabilityError, InvalidCarError, InvalidIdError, InvalidInputError, InvalidSignatureError, MalformedCommitError,
  MissingDependencyError, NotIndexedError, OversizeError, RateLimitedError, SchemaViolationError, StaleTipError, StoreClosedError,
  StoreFullError, StoreLockedError, StreamNotFoundError, WrongControllerError, codeOf
} from '../errors.js'

/** Seconds a client should wait before asking again, for a 503. */
export const RETRY_AFTER_SECONDS = 5

const STATUS_BY_CODE = new Map<string, number>([
  // What was asked for is not here: an unknown stream, or a commit (CommitID) this node does not hold.
  ...[StreamNotFoundError, BlockNotFoundError].map((E) => [E.code, 404] as const),
  // The request (an id, a CommitID of another stream, a posted commit or CAR) is at fault.
  ...[
    InvalidIdError, InvalidInputError, MalformedCommitError, InvalidSignatureError, WrongControllerError, InvalidCapabilityError,
    CapabilityExpiredError, CapabilityScopeError, CommitLinkError, SchemaViolationError, ForbiddenChangeError,
    InvalidAnchorError, InvalidCarError, MissingDependencyError, NotIndexedError
  ].map((E) => [E.code, 400] as const),
  [StaleTipError.code, 409],
  ...[OversizeError, FileTooLargeError].map((E) => [E.code, 413] as const),
  [RateLimitedError.code, 429],
  // The server cannot serve now; nothing is wrong with the request.
  ...[StoreLockedError, StoreFullError, StoreClosedError].map((E) => [E.code, 503] as const)
])

/** The status for an error thrown while serving a request; 500 for anything Kiln did not mean to throw. */
export function httpStatusOf (err: unknown): number {
  return STATUS_BY_CODE.get(codeOf(err)) ?? 500
}
