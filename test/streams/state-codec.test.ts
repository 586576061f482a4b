import { describe, expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { encodeCborBlock } from '../../src/commits/block.js'
import { StreamID } from '../../src/ids/index.js'
import { decodeState, encodeState } from '../../src/streams/state-codec.js'
import { AnchorStatus, EventType, SignatureStatus, type LogEntry, type StreamState } from '../../src/streams/state.js'

const drop = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T

/** The state's encoding as one dagCbor.encode of the whole map (how encodeState wrote it before it reused entries). */
function wholeEncoding (state: StreamState): Uint8Array {
  const { model, context, ...rest } = state.metadata
  const metadata: Record<string, unknown> = drop(rest)
  if (model != null) metadata.model = model.bytes
  if (context != null) metadata.context = context.bytes
  return dagCbor.encode(drop({
    id: state.id.bytes, type: state.type, content: state.content ?? null, metadata, signature: state.signature,
    anchorStatus: state.anchorStatus, anchorProof: state.anchorProof, log: state.log.map((entry) => drop({ ...entry }))
  }))
}

async function stateWith (entries: number, extra: Partial<StreamState> = {}): Promise<StreamState> {
  const genesis = await encodeCborBlock({ genesis: entries })
  const log: LogEntry[] = []
  const cids = await Promise.all([...Array(7).keys()].map(async (i) => (await encodeCborBlock({ i })).cid))
  for (let i = 0; i < entries; i++) {
    const entry: LogEntry = { cid: i === 0 ? genesis.cid : cids[i % cids.length], type: i === 0 ? EventType.INIT : EventType.DATA }
    if (i % 3 === 1) entry.expirationTime = 1_900_000_000 + i
    if (i % 5 === 2) entry.timestamp = 1_700_000_000 + i
    log.push(entry)
  }
  return {
    id: StreamID.fromGenesis(3, genesis.cid), type: 3, content: { n: entries, list: [1, 'two', null] },
    metadata: { controllers: ['did:key:alice'], family: undefined, model: StreamID.fromGenesis(2, genesis.cid) },
    signature: SignatureStatus.SIGNED, anchorStatus: AnchorStatus.NOT_REQUESTED, log, ...extra
  }
}

function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

describe('encodeState', () => {
  // A log's length is written in the array's head: one byte below 24 entries, then 1, 2 or 4 more.
  it.each([1, 23, 24, 255, 256, 65_536])('gives the bytes dag-cbor gives for the whole state, at %i log entries', async (entries) => {
    const state = await stateWith(entries)
    const bytes = encodeState(state)
    expect(sameBytes(bytes, wholeEncoding(state))).toBe(true)
    expect(sameBytes(encodeState(state), bytes)).toBe(true) // again, from entries encoded before
    if (entries < 1000) expect(decodeState(bytes)).toEqual({ ...state, metadata: { controllers: ['did:key:alice'], model: state.metadata.model } })
  }, 60_000)

  it('writes an anchored state\'s proof in its place, and a state\'s next version reuses its entries', async () => {
    const state = await stateWith(30, { anchorStatus: AnchorStatus.ANCHORED, anchorProof: { chainId: 'eip155:1', txHash: (await encodeCborBlock(1)).cid, root: (await encodeCborBlock(2)).cid } })
    expect(sameBytes(encodeState(state), wholeEncoding(state))).toBe(true)
    const next = { ...state, content: { n: 31 }, log: [...state.log, { cid: (await encodeCborBlock(31)).cid, type: EventType.DATA }] }
    expect(sameBytes(encodeState(next), wholeEncoding(next))).toBe(true)
  })

  it('encodes an entry anew if it was changed after it was encoded', async () => {
    const state = await stateWith(4)
    encodeState(state)
    state.log[2].timestamp = 1_800_000_000
    expect(sameBytes(encodeState(state), wholeEncoding(state))).toBe(true)
  })
})
