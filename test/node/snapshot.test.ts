import { describe, expect, it } from 'vitest'
import { encodeCborBlock } from '../../src/commits/block.js'
import { StreamID } from '../../src/ids/index.js'
import { toSnapshot } from '../../src/node/snapshot.js'
import { AnchorStatus, EventType, SignatureStatus, type LogEntry, type StreamState } from '../../src/streams/state.js'

async function stateOf (genesis: unknown, log: LogEntry[]): Promise<StreamState> {
  const id = StreamID.fromGenesis(0, (await encodeCborBlock(genesis)).cid)
  return { id, type: 0, content: { n: log.length }, metadata: { controllers: ['did:key:alice'] }, signature: SignatureStatus.SIGNED, anchorStatus: AnchorStatus.NOT_REQUESTED, log }
}

describe('toSnapshot', () => {
  // Commit ids are remembered per log entry (a stream's versions share their entries): a remembered
  // one must still be the id of the stream the entry is listed in.
  it('lists each commit under its own stream, also for a log entry two states share', async () => {
    const first: LogEntry = { cid: (await encodeCborBlock({ n: 1 })).cid, type: EventType.INIT }
    const second: LogEntry = { cid: (await encodeCborBlock({ n: 2 })).cid, type: EventType.DATA }
    const a = await stateOf({ a: 1 }, [first])
    const later = { ...a, log: [...a.log, second] }
    const b = await stateOf({ b: 1 }, [first, second])
    for (const state of [a, later, b, later]) {
      const snapshot = toSnapshot(state)
      expect(snapshot.log.map((e) => e.commitId)).toEqual(state.log.map((e) => state.id.atCommit(e.cid).toString()))
      expect(snapshot.commitId).toBe(state.id.atCommit(state.log[state.log.length - 1].cid).toString())
    }
  })
})
