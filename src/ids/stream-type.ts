/**
 * The stream type registry, as in js-ceramic's `StreamType` (CIP-59 / tables/streamtypes.csv).
 * Code 5 (EventId) is in the CIP table but not in js-ceramic's registry, so it is not a stream
 * type here either; see event-id.ts.
 */
import { InvalidIdError } from '../errors.js'

export const StreamType = { TILE: 0, CAIP10_LINK: 1, MODEL: 2, MID: 3, UNLOADABLE: 4 } as const

export type StreamTypeCode = typeof StreamType[keyof typeof StreamType]

/** Names exactly as js-ceramic spells them (mixed case is theirs). */
const NAMES = ['tile', 'caip10-link', 'model', 'MID', 'UNLOADABLE'] as const

export type StreamTypeName = typeof NAMES[number]

function isKnownCode (code: number): code is StreamTypeCode {
  return Number.isInteger(code) && code >= 0 && code < NAMES.length
}

/**
 * The registered name of a stream type code.
 * @example streamTypeName(2) // 'model'
 */
export function streamTypeName (code: number): StreamTypeName {
  if (!isKnownCode(code)) throw new InvalidIdError(`No stream type registered for code ${String(code)}`, { code })
  return NAMES[code]
}

/**
 * The code of a stream type given by name ('tile', 'MID', ...) or by code; unknown ones throw.
 * @example streamTypeCode('MID') // 3
 */
export function streamTypeCode (nameOrCode: string | number): StreamTypeCode {
  if (typeof nameOrCode === 'number') {
    if (isKnownCode(nameOrCode)) return nameOrCode
    throw new InvalidIdError(`No stream type registered for code ${String(nameOrCode)}`, { code: nameOrCode })
  }
  const index = (NAMES as readonly string[]).indexOf(nameOrCode)
  if (index === -1) throw new InvalidIdError(`No stream type registered for name "${nameOrCode}"`, { name: nameOrCode })
  return index as StreamTypeCode
}
