import { CorruptStoreError, KilnError, StoreClosedError, StoreFullError, StoreLockedError } from '../errors.js'

/** What `level` (classic-level) attaches to its errors. */
interface LevelError { code?: string, message?: string, cause?: LevelError }

// LevelDB reports the OS error as text ("IO error: <file>: No space left on device"). A file-size
// limit (EFBIG, RLIMIT_FSIZE) or a quota (EDQUOT) means the same to a caller: the store cannot grow.
const NO_SPACE = /No space left on device|ENOSPC|File too large|EFBIG|Disk quota exceeded|EDQUOT/i

/** Maps a `level` error to Kiln's typed store errors; anything else is returned unchanged. */
export function toStoreError (err: unknown, path: string): unknown {
  if (err instanceof KilnError) return err
  const e = (err ?? {}) as LevelError
  const codes = [e.code, e.cause?.code]
  if (codes.includes('LEVEL_LOCKED')) {
    return new StoreLockedError(`The store at ${path} is open elsewhere (this or another process)`, { path }, { cause: err })
  }
  if (NO_SPACE.test(`${e.message ?? ''} ${e.cause?.message ?? ''}`)) {
    return new StoreFullError(`The store at ${path} cannot grow (disk full or file-size limit); nothing of this write was stored`, { path }, { cause: err })
  }
  if (codes.includes('LEVEL_CORRUPTION')) {
    return new CorruptStoreError(`LevelDB reports damage in the store at ${path}`, { path }, { cause: err })
  }
  // Without a cause this is an operation on a closed database (a failed open always has one).
  if (e.code === 'LEVEL_DATABASE_NOT_OPEN' && e.cause == null) {
    return new StoreClosedError(`The store at ${path} is closed`, { path }, { cause: err })
  }
  return err
}

/**
 * True when a failed batch may have left a torn record in LevelDB's log. LevelDB keeps appending
 * after such a record, and recovery drops what follows it in the log: measured here, 300 writes
 * acknowledged after a transient ENOSPC were all gone on reopen, even after a clean close.
 */
export function isLogFault (err: unknown): boolean {
  const code = (err as LevelError | undefined)?.code
  return code === 'LEVEL_IO_ERROR' || code === 'LEVEL_CORRUPTION'
}

/** A fresh error of the same kind as `first`, for writes refused after the log fault `first`. */
export function refusedAfter (first: unknown, path: string): unknown {
  if (!(first instanceof KilnError)) return first
  const Kind = first.constructor as new (message: string, details?: Record<string, unknown>, options?: ErrorOptions) => KilnError
  return new Kind(`An earlier write to the store at ${path} failed (${first.message}); close and reopen the store (after freeing space) to write again`, { path }, { cause: first })
}
