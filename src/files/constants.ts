/**
 * Limits of Kiln's files (UnixFS on helia), in one place. Sizes are bytes.
 */

/** A file larger than this is refused (ERR_FILE_TOO_LARGE) unless the node is given another limit. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024

/** How long a read waits for connected peers to send one missing block before giving up. */
export const FILE_BLOCK_FETCH_TIMEOUT_MS = 30_000

/** The URI scheme a document's content uses for a file: `ipfs://<cid>` (see file-refs.ts). */
export const FILE_URI_PREFIX = 'ipfs://'

/** A data dir keeps the files' blockstore here, next to the stream store (`store/`). */
export const FILES_DIR = 'files'

/**
 * Garbage collection keeps every block younger than this (ms): a file being added, or added and not
 * yet named by a document (the document is usually written seconds later), is never removed.
 */
export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000

/** How often `kiln serve` collects garbage unless told otherwise (ms). */
export const DEFAULT_GC_INTERVAL_MS = 60 * 60 * 1000

/** How often the browser's worker collects garbage, when no file is being added or read (ms). */
export const WORKER_GC_INTERVAL_MS = 15 * 60 * 1000
