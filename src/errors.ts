/**
 * Every error Kiln throws on purpose: one base class, one level of leaves, each with a stable
 * `code`. Callers branch on `err.code`, never on `instanceof` (errors cross realms and workers).
 */
export class KilnError extends Error {
  constructor (message: string, readonly code: string, readonly details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options)
    this.name = 'KilnError'
  }
}

const classesByCode = new Map<string, ReturnType<typeof defineError>>()

function defineError (name: string, code: string, defaultMessage: string) {
  const ErrorClass = class extends KilnError {
    static readonly code = code
    constructor (message = defaultMessage, details?: Record<string, unknown>, options?: ErrorOptions) {
      super(message, code, details, options)
      this.name = name
    }
  }
  Object.defineProperty(ErrorClass, 'name', { value: name })
  classesByCode.set(code, ErrorClass)
  return ErrorClass
}

/** A string or byte sequence is not a valid StreamID, CommitID or EventId. */
export const InvalidIdError = defineError('InvalidIdError', 'ERR_INVALID_ID', 'Invalid stream or commit id')
/** A block is not valid dag-cbor / dag-jose, or a commit does not have the expected shape. */
export const MalformedCommitError = defineError('MalformedCommitError', 'ERR_MALFORMED_COMMIT', 'Malformed commit')
/** A commit block is larger than Ceramic's 256 KB cap, or content exceeds its cap. */
export const OversizeError = defineError('OversizeError', 'ERR_OVERSIZE', 'Data exceeds the size limit')
/** The JWS signature does not verify against the signer's key. */
export const InvalidSignatureError = defineError('InvalidSignatureError', 'ERR_INVALID_SIGNATURE', 'Commit signature does not verify')
/** The signer is not the stream's controller, and holds no capability from it. */
export const WrongControllerError = defineError('WrongControllerError', 'ERR_WRONG_CONTROLLER', 'Commit is not signed by the stream controller')
/** A CACAO is malformed, signed by someone else, or does not delegate to the signing key. */
export const InvalidCapabilityError = defineError('InvalidCapabilityError', 'ERR_INVALID_CAPABILITY', 'Invalid capability (CACAO)')
/** A CACAO has expired, or is not valid yet, at the time it is checked. */
export const CapabilityExpiredError = defineError('CapabilityExpiredError', 'ERR_CAPABILITY_EXPIRED', 'Capability (CACAO) is expired or not yet valid')
/** A CACAO's resources do not cover the stream being written. */
export const CapabilityScopeError = defineError('CapabilityScopeError', 'ERR_CAPABILITY_SCOPE', 'Capability does not cover this stream')
/** A commit's `id` is another stream's genesis, or its `prev` is not a known commit. */
export const CommitLinkError = defineError('CommitLinkError', 'ERR_COMMIT_LINK', 'Commit does not link to this stream')
/** Content does not satisfy the stream's schema. */
export const SchemaViolationError = defineError('SchemaViolationError', 'ERR_SCHEMA_VIOLATION', 'Content does not match the schema')
/** The change is not allowed for this stream type (a Model update, a MID header change, ...). */
export const ForbiddenChangeError = defineError('ForbiddenChangeError', 'ERR_FORBIDDEN_CHANGE', 'This change is not allowed for this stream')
/** A time (anchor) commit whose proof cannot be checked or does not hold. */
export const InvalidAnchorError = defineError('InvalidAnchorError', 'ERR_INVALID_ANCHOR', 'Anchor proof does not verify')
/**
 * An anchor proof could not be checked now: its chain's RPC did not answer (after retries) or its
 * transaction is not final yet. Nothing was stored; the same commit is checked again when offered again.
 */
export const AnchorUnavailableError = defineError('AnchorUnavailableError', 'ERR_ANCHOR_UNAVAILABLE', 'The anchor cannot be checked now')
/** A CAR file is malformed or lacks blocks the stream's log needs. */
export const InvalidCarError = defineError('InvalidCarError', 'ERR_INVALID_CAR', 'Invalid CAR file')

/**
 * Browsers without SharedWorker: the tab running the node closed after taking this write and
 * before answering, so whether it was stored is unknown. Load the stream and decide.
 */
export const LeaderChangedError = defineError('LeaderChangedError', 'ERR_LEADER_CHANGED', 'The tab running the node closed before answering; the write may or may not have been stored')

/** The page closed this Kiln connection (`kiln.close()`): it makes no more calls. */
export const ConnectionClosedError = defineError('ConnectionClosedError', 'ERR_CONNECTION_CLOSED', 'This Kiln connection is closed')
/** The wallet refused, gave no account, or failed while signing in. */
export const WalletError = defineError('WalletError', 'ERR_WALLET', 'The wallet did not complete the sign-in')

/** A peer sent bytes that break a sync protocol: a bad frame, an oversize or malformed message. */
export const SyncProtocolError = defineError('SyncProtocolError', 'ERR_SYNC_PROTOCOL', 'A peer broke the sync protocol')
/** A peer (or this node) is over its request rate; nothing was served. */
export const RateLimitedError = defineError('RateLimitedError', 'ERR_RATE_LIMITED', 'Too many requests')
/** A peer did not answer in time, or the connection closed before it answered. */
export const PeerUnavailableError = defineError('PeerUnavailableError', 'ERR_PEER_UNAVAILABLE', 'The peer did not answer')

/** A caller passed arguments that cannot make a valid commit (missing family, bad schema ref, ...). */
export const InvalidInputError = defineError('InvalidInputError', 'ERR_INVALID_INPUT', 'Invalid input')
/** A query filters or sorts by a content field that no index of its Model holds (declare one with indexModel). */
export const NotIndexedError = defineError('NotIndexedError', 'ERR_NOT_INDEXED', 'No index serves this query')
/** A stream the reducer needs (a schema, a model) is not available to it. */
export const MissingDependencyError = defineError('MissingDependencyError', 'ERR_MISSING_DEPENDENCY', 'A stream this commit depends on is not available')
/** A block a commit needs is not in the store, the CAR file, or anywhere the node looked. */
export const BlockNotFoundError = defineError('BlockNotFoundError', 'ERR_BLOCK_NOT_FOUND', 'A block the commit needs is missing')
/** A write built on a tip that is no longer the stream's tip; reload and apply the change again. */
export const StaleTipError = defineError('StaleTipError', 'ERR_STALE_TIP', 'The write builds on a stale tip')
/** A file is larger than the node's per-file limit; nothing of it was stored. */
export const FileTooLargeError = defineError('FileTooLargeError', 'ERR_FILE_TOO_LARGE', 'The file is larger than the size limit')
/** The disk or the browser's storage quota is full; nothing was written. */
export const StoreFullError = defineError('StoreFullError', 'ERR_STORE_FULL', 'Storage is full')
/** The store is already open elsewhere (another process, or another node in this origin). */
export const StoreLockedError = defineError('StoreLockedError', 'ERR_STORE_LOCKED', 'The store is open elsewhere')
/** The store was written by a newer Kiln than this one; upgrade Kiln to open it. */
export const StoreVersionError = defineError('StoreVersionError', 'ERR_STORE_VERSION', 'The store was written by a newer version of Kiln')
/** The store is closed, or was closed underneath this node (e.g. an IndexedDB upgrade in another tab). */
export const StoreClosedError = defineError('StoreClosedError', 'ERR_STORE_CLOSED', 'The store is closed')
/** A stored record or block is damaged (its bytes do not match, or it cannot be decoded). */
export const CorruptStoreError = defineError('CorruptStoreError', 'ERR_STORE_CORRUPT', 'The store holds damaged data')
/** No stream with this id is known to this node. */
export const StreamNotFoundError = defineError('StreamNotFoundError', 'ERR_STREAM_NOT_FOUND', 'Stream not found')
/** This node holds no key for a private document it was asked to write or share (it is not one of its readers' devices). */
export const NotAReaderError = defineError('NotAReaderError', 'ERR_NOT_A_READER', 'This node is not a reader of this private document')
/** An account to share a private document with has published no encryption key (or its key document was not found). */
export const NoReaderKeyError = defineError('NoReaderKeyError', 'ERR_NO_READER_KEY', 'This account has published no encryption key')
/** A private document's ciphertext or key wrapping does not decrypt (tampered or malformed); nothing of it was stored or shown. */
export const InvalidCiphertextError = defineError('InvalidCiphertextError', 'ERR_INVALID_CIPHERTEXT', 'The private content does not decrypt')
/** No signer is configured (or the session cannot sign), so the node cannot write. */
export const NoSignerError = defineError('NoSignerError', 'ERR_NO_SIGNER', 'No identity is available to sign this write')

/** Whether `err` carries the code of `ErrorClass`, in any realm (a worker's error rebuilt in a page, a CLI's JSON). */
export function hasCode (err: unknown, ErrorClass: { readonly code: string }): boolean {
  return (err as { code?: unknown } | null)?.code === ErrorClass.code
}

/** The code of an error from anywhere, ERR_UNEXPECTED when it has none. */
export function codeOf (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERR_UNEXPECTED'
}

/** The plain form an error takes across a worker boundary or in a CLI's JSON. */
export interface KilnErrorLike {
  name: string
  code: string
  message: string
  details?: Record<string, unknown>
}

export function errorToPlain (err: unknown): KilnErrorLike {
  if (err instanceof KilnError) return { name: err.name, code: err.code, message: err.message, details: err.details }
  const e = err as Error | undefined
  return { name: e?.name ?? 'Error', code: (e as { code?: string } | undefined)?.code ?? 'ERR_UNEXPECTED', message: e?.message ?? String(err) }
}

/** Rebuilds the typed error (same class, code, message, details) from its plain form. */
export function errorFromPlain (plain: KilnErrorLike): KilnError {
  const ErrorClass = classesByCode.get(plain.code)
  if (ErrorClass != null) return new ErrorClass(plain.message, plain.details)
  const error = new KilnError(plain.message, plain.code, plain.details)
  error.name = plain.name
  return error
}
