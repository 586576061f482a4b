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
