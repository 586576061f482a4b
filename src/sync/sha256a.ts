/**
 * Sha256a, Recon's associative hash of a set of keys (reference/ceramic.md §1.11): sha256 of each
 * key read as 8 little-endian u32 lanes, summed lane-wise mod 2^32. Addition commutes and
 * associates, so the hash of a range is the sum of its parts and the empty set is all zeros.
 */
import { sha256 } from '@noble/hashes/sha2.js'

export const SHA256A_LANES = 8

/** A synchronous sha256 (Recon hashes every key it indexes, too many to await one by one). */
export type Sha256 = (data: Uint8Array) => Uint8Array

let digestOf: Sha256 = sha256

/** Hashes keys with `next` from now on (the JS reference again without one); sha256a-node.ts installs node:crypto's. */
export function useSha256 (next: Sha256 = sha256): void {
  digestOf = next
}

/** The lanes of one key's digest (computed once per key and kept by the index). */
export function sha256aOf (key: Uint8Array): Uint32Array {
  const digest = digestOf(key)
  const view = new DataView(digest.buffer, digest.byteOffset, digest.byteLength)
  const lanes = new Uint32Array(SHA256A_LANES)
  for (let i = 0; i < SHA256A_LANES; i++) lanes[i] = view.getUint32(i * 4, true)
  return lanes
}

/** The identity: the hash of the empty set. */
export function sha256aZero (): Uint32Array {
  return new Uint32Array(SHA256A_LANES)
}

/** Adds `b` into `a` in place (Uint32Array wraps mod 2^32) and returns `a`. */
export function sha256aAdd (a: Uint32Array, b: Uint32Array): Uint32Array {
  for (let i = 0; i < SHA256A_LANES; i++) a[i] = (a[i] + b[i]) >>> 0
  return a
}

/** @example sha256aSum([k1, k2]) equals sha256aSum([k2, k1]) */
export function sha256aSum (keys: Iterable<Uint8Array>): Uint32Array {
  const sum = sha256aZero()
  for (const key of keys) sha256aAdd(sum, sha256aOf(key))
  return sum
}

/** The 32 bytes on the wire: the lanes, little-endian. */
export function sha256aBytes (sum: Uint32Array): Uint8Array {
  const out = new Uint8Array(SHA256A_LANES * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < SHA256A_LANES; i++) view.setUint32(i * 4, sum[i], true)
  return out
}

export function sha256aFromBytes (bytes: Uint8Array): Uint32Array {
  if (bytes.length !== SHA256A_LANES * 4) throw new RangeError(`A Sha256a is ${SHA256A_LANES * 4} bytes, got ${bytes.length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const lanes = new Uint32Array(SHA256A_LANES)
  for (let i = 0; i < SHA256A_LANES; i++) lanes[i] = view.getUint32(i * 4, true)
  return lanes
}

export function sha256aHex (sum: Uint32Array): string {
  return [...sha256aBytes(sum)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export function sha256aEqual (a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < SHA256A_LANES; i++) if (a[i] !== b[i]) return false
  return true
}
