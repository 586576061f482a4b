import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { isRelayMessage } from '../../src/client/relay-protocol.js'
import { readFrames, readOneFrame } from '../../src/sync/frames.js'

/** The smallest input of each crash the fuzz suites found, refused typed since its fix. */

function streamOf (...chunks: Uint8Array[]): Stream {
  return { async * [Symbol.asyncIterator] () { for (const chunk of chunks) yield chunk } } as unknown as Stream
}

describe('found by fuzzing', () => {
  it('a frame length prefix that is not a minimal varint (80 00) is a SyncProtocolError, not a RangeError', async () => {
    // Found by `fuzz frames recon` (seed 20261201, input #79); every protocol reads its frames here.
    await expect(readOneFrame(streamOf(Uint8Array.of(0x80, 0x00)), 1_024)).rejects.toMatchObject({ code: 'ERR_SYNC_PROTOCOL' })
    const frames = readFrames(streamOf(Uint8Array.of(0x01, 0xf6), Uint8Array.of(0xf3, 0x00, 0x00)), { maxFrameBytes: 1_024, maxFrames: 10 })
    expect(await frames.next()).toEqual({ done: false, value: null }) // the valid frame before it still reads
    await expect(frames.next()).rejects.toMatchObject({ code: 'ERR_SYNC_PROTOCOL' })
  })

  it('a relay "error" reply without its error is dropped at the channel, not a TypeError that leaves the call unanswered', () => {
    // Found by `fuzz relay messages` (seed 20261201, input #1140, before the check existed): the
    // relay client took the call off its list, then threw reading `error.code`, so the caller's
    // promise never settled. fallback.ts now hands on only what isRelayMessage accepts.
    expect(isRelayMessage({ id: 3, to: 'tab-b', from: 'tab-a', kind: 'error' })).toBe(false)
    expect(isRelayMessage(null)).toBe(false)
    expect(isRelayMessage({ id: 3, to: 'tab-b', from: 'tab-a', kind: 'error', error: { name: 'E', code: 'ERR_X', message: 'm' } })).toBe(true)
  })
})
