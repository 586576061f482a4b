/**
 * Unsigned varints as used by multicodec prefixes (StreamID, EventId). A thin wrapper over
 * multiformats' varint so every failure becomes an `InvalidIdError` that says what was being read.
 */
import { varint } from 'multiformats'
import { InvalidIdError } from '../errors.js'

/** Encodes a non-negative safe integer as an unsigned LEB128 varint. */
export function encodeVarint (value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidIdError(`Cannot encode ${String(value)} as a varint: not a non-negative safe integer`)
  }
  return varint.encodeTo(value, new Uint8Array(varint.encodingLength(value)))
}

/**
 * Reads one varint at `offset`; returns the value and the offset just past it.
 * multiformats already refuses over-long and non-minimal encodings (the npm `varint` package that
 * js-ceramic uses accepts them; a non-minimal StreamID would not round-trip, so refusing is safer).
 */
export function readVarint (bytes: Uint8Array, offset: number, what: string): [value: number, next: number] {
  if (offset >= bytes.length) throw new InvalidIdError(`Truncated ${what}: no bytes left`)
  let value: number
  let length: number
  try {
    [value, length] = varint.decode(bytes, offset)
  } catch (err) {
    throw new InvalidIdError(`Malformed varint in ${what}`, undefined, { cause: err })
  }
  // Above 2^53 the decoder silently loses precision.
  if (!Number.isSafeInteger(value)) throw new InvalidIdError(`Varint in ${what} is larger than 2^53`)
  return [value, offset + length]
}
