/**
 * base36 multibase encoding ('k' prefix), as multiformats' base36 produces it, but through
 * BigInt: multiformats' generic base-x codec is quadratic in the input length, and ids are
 * turned into strings on every API response (a stream's log holds a CommitID per commit).
 */
export function base36Encode (bytes: Uint8Array): string {
  let zeros = 0
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++
  let hex = ''
  for (let i = zeros; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, '0')
  const digits = hex === '' ? '' : BigInt(`0x${hex}`).toString(36)
  // Like base-x, each leading zero byte is one leading '0' digit.
  return `k${'0'.repeat(zeros)}${digits}`
}
