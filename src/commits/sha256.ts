/**
 * sha2-256 for commit blocks, in JavaScript. A commit's blocks are a few hundred bytes: @noble/hashes
 * hashes one in microseconds, where a browser's `crypto.subtle.digest` (multiformats' browser
 * sha256) is a round trip to the crypto thread pool per block, and a commit is hashed four times
 * (built, then its two blocks checked when it is verified). Files, hashed in large chunks, keep
 * multiformats' hasher.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { create, type Digest } from 'multiformats/hashes/digest'

export const SHA2_256_CODE = 0x12

export function sha256Digest (bytes: Uint8Array): Digest<typeof SHA2_256_CODE, number> {
  return create(SHA2_256_CODE, sha256(bytes))
}
