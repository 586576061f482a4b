/**
 * One mapping from Kiln's typed errors to HTTP statuses, for every route. A request at fault gets
 * a 4xx; a server that is busy, locked or full, or cannot reach what it needs now (a peer, an
 * anchor's chain), says so with a 503 and Retry-After; a 500 is left for real bugs and for damage
 * found in the server's own store (logged with its cause by the caller). Every code in errors.ts
 * has its status here on purpose (test/server/http-status.test.ts fails on one that has none).
 */
import {
  AnchorUnavailableError, BlockNotFoundError, CapabilityExpiredError, CapabilityScopeError, CommitLinkError, ConnectionClosedError,
  CorruptStoreError, FileTooLargeError, ForbiddenChangeError, InvalidAnchorError, InvalidCapabilityError, InvalidCarError,
  InvalidCiphertextError, InvalidIdError, InvalidInputError, InvalidSignatureError, LeaderChangedError, MalformedCommitError,
  MissingDependencyError, NoReaderKeyError, NoSignerError, NotAReaderError, NotIndexedError, OversizeError, PeerUnavailableError,
  RateLimitedError, SchemaViolationError, StaleTipError, StoreClosedError, StoreFullError, StoreLockedError, StoreVersionError,
  StreamNotFoundError, SyncProtocolError, WalletError, WrongControllerError, codeOf
} from '../errors.js'

/** Seconds a client should wait before asking again, for a 503. */
export const RETRY_AFTER_SECONDS = 5

/** The server's own fault: its store is damaged or from a newer Kiln. A 500, and the cause is logged. */
export const SERVER_FAULT_CODES: ReadonlySet<string> = new Set([CorruptStoreError, StoreVersionError].map((E) => E.code))

const STATUS_BY_CODE = new Map<string, number>([
  // What was asked for is not here: an unknown stream, a commit (CommitID) this node does not hold,
  // an account's encryption key no one published.
  ...[StreamNotFoundError, BlockNotFoundError, NoReaderKeyError].map((E) => [E.code, 404] as const),
  // The request (an id, a CommitID of another stream, a posted commit, CAR or ciphertext) is at fault.
  ...[
    InvalidIdError, InvalidInputError, MalformedCommitError, InvalidSignatureError, WrongControllerError, InvalidCapabilityError,
    CapabilityExpiredError, CapabilityScopeError, CommitLinkError, SchemaViolationError, ForbiddenChangeError,
    InvalidAnchorError, InvalidCarError, MissingDependencyError, NotIndexedError, InvalidCiphertextError, WalletError
  ].map((E) => [E.code, 400] as const),
  // This server may not do it: it holds no key to sign with, or is no reader of the document.
  ...[NoSignerError, NotAReaderError].map((E) => [E.code, 403] as const),
  [StaleTipError.code, 409],
  ...[OversizeError, FileTooLargeError].map((E) => [E.code, 413] as const),
  [RateLimitedError.code, 429],
  // The server cannot serve now; nothing is wrong with the request. A peer or an anchor's chain
  // that did not answer (or answered nonsense) may answer the next time.
  ...[
    StoreLockedError, StoreFullError, StoreClosedError, AnchorUnavailableError, PeerUnavailableError, SyncProtocolError,
    LeaderChangedError, ConnectionClosedError
  ].map((E) => [E.code, 503] as const),
  ...[...SERVER_FAULT_CODES].map((code) => [code, 500] as const)
])

/** The status for an error thrown while serving a request; 500 for anything Kiln did not mean to throw. */
export function httpStatusOf (err: unknown): number {
  return STATUS_BY_CODE.get(codeOf(err)) ?? 500
}
