import { describe, it, expect } from 'vitest'
import { StreamType, streamTypeCode, streamTypeName } from '../../src/ids/index.js'

const INVALID = expect.objectContaining({ code: 'ERR_INVALID_ID' })

describe('stream types', () => {
  // js-ceramic's registry (packages/streamid/src/stream-type.ts), names spelled as there.
  const registry = [
    { code: 0, name: 'tile', constant: StreamType.TILE },
    { code: 1, name: 'caip10-link', constant: StreamType.CAIP10_LINK },
    { code: 2, name: 'model', constant: StreamType.MODEL },
    { code: 3, name: 'MID', constant: StreamType.MID },
    { code: 4, name: 'UNLOADABLE', constant: StreamType.UNLOADABLE }
  ] as const

  it.each(registry)('$code is "$name" both ways', ({ code, name, constant }) => {
    expect(constant).toBe(code)
    expect(streamTypeName(code)).toBe(name)
    expect(streamTypeCode(name)).toBe(code)
    expect(streamTypeCode(code)).toBe(code)
  })

  it.each([5, 6, -1, 1.5, Number.NaN])('code %s has no name', (code) => {
    expect(() => streamTypeName(code)).toThrow(INVALID)
    expect(() => streamTypeCode(code)).toThrow(INVALID)
  })

  // Names are case-sensitive in js-ceramic ('MID' but 'tile').
  it.each(['Tile', 'mid', 'eventid', '', '2'])('name "%s" is unknown', (name) => {
    expect(() => streamTypeCode(name)).toThrow(INVALID)
  })

  it('says what is unknown', () => {
    expect(() => streamTypeCode('mid')).toThrow('No stream type registered for name "mid"')
    expect(() => streamTypeName(7)).toThrow('No stream type registered for code 7')
  })
})
