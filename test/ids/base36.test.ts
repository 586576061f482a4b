import { describe, expect, it } from 'vitest'
import { base36 } from 'multiformats/bases/base36'
import { base36Encode } from '../../src/ids/base36.js'

describe('base36 encoding', () => {
  it('matches multiformats base36 on fixed and random inputs, leading zeros included', () => {
    const inputs: Uint8Array[] = [new Uint8Array(), Uint8Array.of(0), Uint8Array.of(0, 0, 1), Uint8Array.of(0xce, 0x01, 0x00), Uint8Array.of(255, 255)]
    for (let i = 0; i < 500; i++) {
      const bytes = crypto.getRandomValues(new Uint8Array(1 + (i % 80)))
      if (i % 7 === 0) bytes[0] = 0
      inputs.push(bytes)
    }
    for (const bytes of inputs) expect(base36Encode(bytes)).toBe(base36.encode(bytes))
  })
})
