/**
 * The sizes and durations `kiln serve` takes in flags, env and config: `100MB`, `1.5GiB`, `512`
 * (bytes); `30s`, `15m`, `1h`, `2d`, `3600` (seconds). SI units are powers of 1000, IEC ones of 1024.
 */
import { InvalidInputError } from '../errors.js'

const BYTE_UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40
}
const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }

/** Bytes from `text`, a whole number ≥ 0; ERR_INVALID_INPUT naming `flag` otherwise. */
export function parseBytes (text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = BYTE_UNITS[(match?.[2] === '' ? 'b' : match?.[2] ?? '').toLowerCase()]
  if (match == null || unit == null) throw new InvalidInputError(`${flag} must be a size such as 100MB, 1GiB or 512 (bytes), not "${text}"`)
  return Math.floor(Number(match[1]) * unit)
}

/** Milliseconds from `text` (a bare number is seconds); ERR_INVALID_INPUT naming `flag` otherwise. */
export function parseDuration (text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = DURATION_UNITS_MS[(match?.[2] === '' ? 's' : match?.[2] ?? '').toLowerCase()]
  if (match == null || unit == null) throw new InvalidInputError(`${flag} must be a duration such as 30s, 15m, 1h, 2d or 3600 (seconds), not "${text}"`)
  return Math.round(Number(match[1]) * unit)
}
