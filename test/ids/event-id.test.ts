import { describe, it, expect } from 'vitest'
import { sha256 } from '@noble/hashes/sha2.js'
import { CID } from 'multiformats/cid'
import {
  EVENT_ID_MAX, EVENT_ID_MIN, LOCAL_NETWORK_OFFSET, NETWORK, StreamID,
  compareEventIds, createEventId, decodeEventId, eventIdRange, localNetwork, type EventIdInit
} from '../../src/ids/index.js'
import { DAG_CBOR_CID, DAG_JOSE_CID, MODEL_MODEL, SHA512_CID, fromHex, hex } from './fixtures.js'

const INVALID = expect.objectContaining({ code: 'ERR_INVALID_ID' })
const CONTROLLER = 'did:key:z6MkgSV3tAuw7gUWqKCUY7ae6uWNxqYgdwPhUJbJhF9EFXm9'

// The inputs of rust-ceramic's core/src/event_id.rs tests ("blessing"): separator 'model' with
// Model.MODEL's bytes, init = DAG_JOSE_CID, event = DAG_CBOR_CID.
const BASE: EventIdInit = {
  network: NETWORK.MAINNET,
  sepKey: 'model',
  sepValue: StreamID.fromString(MODEL_MODEL).bytes,
  controller: CONTROLLER,
  initCid: DAG_JOSE_CID,
  eventCid: DAG_CBOR_CID
}
const TAIL = 'ba25076d730241e745cc7c072ff729ea683b751701711220f4ef7ec208944d257025408bb647949e6b72930520bc80f34d8bfbafd2643d86'

describe('EventId (rust-ceramic layout, no event height)', () => {
  it.each([
    { name: 'mainnet', network: NETWORK.MAINNET, expected: `ce010500${TAIL}` },
    { name: 'testnet-clay', network: NETWORK.TESTNET_CLAY, expected: `ce010501${TAIL}` },
    { name: 'dev-unstable', network: NETWORK.DEV_UNSTABLE, expected: `ce010502${TAIL}` },
    { name: 'inmemory', network: NETWORK.INMEMORY, expected: `ce0105ff01${TAIL}` },
    { name: 'local 0xce4a441c', network: localNetwork(0xce4a441c), expected: `ce01059c88a9f21c${TAIL}` }
  ])('matches rust-ceramic on $name', ({ network, expected }) => {
    const eventId = createEventId({ ...BASE, network })
    expect(hex(eventId)).toBe(expected)
    const decoded = decodeEventId(eventId)
    expect(decoded.network).toBe(network)
    expect(hex(decoded.separator)).toBe('ba25076d730241e7')
    expect(hex(decoded.controller)).toBe('45cc7c072ff729ea')
    expect(hex(decoded.init)).toBe('683b7517')
    expect(decoded.eventCid.toString()).toBe('bafyreihu557meceujusxajkaro3epfe6nnzjgbjaxsapgtml7ox5ezb5qy')
  })

  it('has the documented field lengths', () => {
    const eventId = createEventId(BASE)
    // 2 (ce01) + 1 (05) + 1 (network 0) + 8 + 8 + 4 + 36 (CIDv1 dag-cbor sha2-256)
    expect(eventId.length).toBe(60)
    const decoded = decodeEventId(eventId)
    expect([decoded.separator.length, decoded.controller.length, decoded.init.length]).toEqual([8, 8, 4])
    expect(createEventId({ ...BASE, network: NETWORK.INMEMORY }).length).toBe(61)
    expect(LOCAL_NETWORK_OFFSET).toBe(2 ** 32)
    expect(localNetwork(0xce4a441c)).toBe(0x1ce4a441c)
  })

  it('hashes sepKey and sepValue concatenated, with no "|" between them', () => {
    const utf8 = (s: string) => new TextEncoder().encode(s)
    const plain = sha256(Uint8Array.from([...utf8('model'), ...BASE.sepValue])).slice(24)
    const piped = sha256(Uint8Array.from([...utf8('model|'), ...BASE.sepValue])).slice(24)
    const { separator } = decodeEventId(createEventId(BASE))
    expect(hex(separator)).toBe(hex(plain))
    expect(hex(separator)).not.toBe(hex(piped))
    expect(hex(decodeEventId(createEventId(BASE)).controller)).toBe(hex(sha256(utf8(CONTROLLER)).slice(24)))
  })

  it('carries event CIDs of any length', () => {
    const decoded = decodeEventId(createEventId({ ...BASE, eventCid: SHA512_CID, initCid: SHA512_CID }))
    expect(decoded.eventCid.equals(SHA512_CID)).toBe(true)
    expect(hex(decoded.init)).toBe(hex(SHA512_CID.bytes.slice(-4)))
  })

  it('orders bytewise: fenceposts outermost, then network, separator, controller, init, event', () => {
    const ids = [
      createEventId({ ...BASE, network: NETWORK.INMEMORY }),
      createEventId({ ...BASE, eventCid: SHA512_CID }),
      createEventId(BASE),
      createEventId({ ...BASE, eventCid: DAG_JOSE_CID }),
      createEventId({ ...BASE, controller: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' }),
      createEventId({ ...BASE, sepValue: StreamID.fromString('kjzl6hvfrbw6c82mkud4qs38zl4hd03ifoyg2ksvfjkhuxebfzh3ef89vwvtvrr').bytes }),
      createEventId({ ...BASE, network: NETWORK.TESTNET_CLAY }),
      EVENT_ID_MAX,
      EVENT_ID_MIN
    ]
    const sorted = [...ids].sort(compareEventIds)
    expect(sorted[0]).toBe(EVENT_ID_MIN)
    expect(sorted[sorted.length - 1]).toBe(EVENT_ID_MAX)
    // Bytewise order is the order of lower-case hex strings (a prefix sorts first in both).
    expect(sorted.map(hex)).toEqual(ids.map(hex).sort())
    expect(compareEventIds(createEventId(BASE), createEventId(BASE))).toBe(0)
    expect(compareEventIds(fromHex('ce01'), fromHex('ce0105'))).toBeLessThan(0)
  })

  it.each([
    ['the MIN fencepost', EVENT_ID_MIN],
    ['the MAX fencepost', EVENT_ID_MAX],
    ['a StreamID', StreamID.fromString(MODEL_MODEL).bytes],
    ['another multicodec', fromHex(`0105${TAIL}`)],
    ['a range bound with no event CID', fromHex(`ce010500${TAIL.slice(0, 40)}`)],
    ['a range bound ending 0xff', fromHex(`ce010500${TAIL.slice(0, 40)}ff`)],
    ['a truncated event CID', fromHex(`ce010500${TAIL.slice(0, -2)}`)],
    ['bytes after the event CID', fromHex(`ce010500${TAIL}00`)]
  ])('decodeEventId refuses %s', (_, bytes) => {
    expect(() => decodeEventId(bytes)).toThrow(INVALID)
  })

  it.each([
    ['a negative network', { network: -1 }],
    ['a fractional network', { network: 1.5 }],
    ['a non-CID init', { initCid: 'bagcq…' as unknown as CID }],
    ['a non-CID event', { eventCid: {} as unknown as CID }],
    ['a string sepValue', { sepValue: 'kh4q0…' as unknown as Uint8Array }]
  ])('createEventId refuses %s', (_, override) => {
    expect(() => createEventId({ ...BASE, ...override })).toThrow(INVALID)
  })

  it('localNetwork takes a u32', () => {
    expect(() => localNetwork(2 ** 32)).toThrow(INVALID)
    expect(() => localNetwork(-1)).toThrow(INVALID)
  })

  it('eventIdRange holds every key of one Model (or one controller under it) and no other', () => {
    const inRange = (key: Uint8Array, range: { first: Uint8Array, last: Uint8Array }): boolean =>
      compareEventIds(range.first, key) <= 0 && compareEventIds(key, range.last) < 0
    const model = eventIdRange({ network: BASE.network, sepKey: 'model', sepValue: BASE.sepValue })
    const mine = eventIdRange({ network: BASE.network, sepKey: 'model', sepValue: BASE.sepValue, controller: CONTROLLER })
    expect(hex(model.first)).toBe('ce010500ba25076d730241e7')
    expect(hex(model.last)).toBe('ce010500ba25076d730241e8')
    const key = createEventId(BASE)
    const otherController = createEventId({ ...BASE, controller: 'did:key:z6MkOther' })
    const otherModel = createEventId({ ...BASE, sepValue: StreamID.fromString('kjzl6hvfrbw6c5ajfmes842lu09vjxu5956e3xq0xk12gp2jcf9s90cagt2god9').bytes })
    const otherNetwork = createEventId({ ...BASE, network: NETWORK.TESTNET_CLAY })
    expect([key, otherController, otherModel, otherNetwork].map((k) => inRange(k, model))).toEqual([true, true, false, false])
    expect([key, otherController].map((k) => inRange(k, mine))).toEqual([true, false])
    expect(hex(mine.first)).toBe('ce010500ba25076d730241e745cc7c072ff729ea')
  })
})
