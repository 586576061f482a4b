import type { Stream } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
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
})
