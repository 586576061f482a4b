import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { EVENT_ID_MAX, EVENT_ID_MIN, compareEventIds, decodeEventId } from '../../src/ids/event-id.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createReconIndex, eventIdFor, hex } from '../../src/sync/recon-index.js'
import { RECON_PENDING_RANGES, RECON_SPLIT } from '../../src/sync/constants.js'
import { parseMessage, respond } from '../../src/sync/recon-protocol.js'
import { sha256aAdd, sha256aBytes, sha256aEqual, sha256aFromBytes, sha256aHex, sha256aOf, sha256aSum, sha256aZero, useSha256 } from '../../src/sync/sha256a.js'
import { kilnSigner } from '../fixtures/identities.js'

const key = (i: number): Uint8Array => Uint8Array.of(0xce, 1, 5, i)

describe('Sha256a', () => {
  it('the empty set hashes to zeros', () => {
    expect(sha256aHex(sha256aSum([]))).toBe('00'.repeat(32))
    expect(sha256aEqual(sha256aZero(), sha256aSum([]))).toBe(true)
  })

  it('one key is its sha256 (lanes read and written little-endian)', () => {
    expect(sha256aBytes(sha256aSum([key(1)]))).toEqual(sha256(key(1)))
    expect(sha256aFromBytes(sha256aBytes(sha256aOf(key(1))))).toEqual(sha256aOf(key(1)))
  })

  it('is commutative and associative, with zero as identity', () => {
    const [a, b, c] = [sha256aOf(key(1)), sha256aOf(key(2)), sha256aOf(key(3))]
    const ab = sha256aAdd(sha256aAdd(sha256aZero(), a), b)
    const ba = sha256aAdd(sha256aAdd(sha256aZero(), b), a)
    expect(ab).toEqual(ba)
    const abC = sha256aAdd(ab.slice(), c)
    const aBC = sha256aAdd(a.slice(), sha256aAdd(b.slice(), c))
    expect(abC).toEqual(aBC)
    expect(sha256aAdd(a.slice(), sha256aZero())).toEqual(a)
    expect(sha256aSum([key(3), key(1), key(2)])).toEqual(abC)
  })

  it('node:crypto (as Node programs hash keys) gives the same sums as the JS reference', async () => {
    const keys = Array.from({ length: 50 }, (_, i) => crypto.getRandomValues(new Uint8Array(20 + i)))
    const reference = sha256aSum(keys)
    await import('../../src/sync/sha256a-node.js')
    try {
      expect(sha256aHex(sha256aSum(keys))).toBe(sha256aHex(reference))
      expect(sha256aBytes(sha256aOf(keys[0]))).toEqual(sha256(keys[0]))
    } finally {
      useSha256()
    }
  })

  it('wraps each lane mod 2^32', () => {
    const max = new Uint32Array(8).fill(0xffff_ffff)
    expect([...sha256aAdd(max.slice(), Uint32Array.of(2, 0, 0, 0, 0, 0, 0, 0))]).toEqual([1, ...new Array(7).fill(0xffff_ffff)])
  })
})

describe('ReconIndex', () => {
  it('indexes every commit at start and as they are accepted, in EventId order, with range sums', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const a = await node.create({ content: { a: 0 } })
    await node.update(a.id, { content: { a: 1 } })
    const index = createReconIndex({ node, log: () => {} })
    await index.idle() // built in the background
    expect(index.size).toBe(2)
    const b = await node.create({ content: { b: 0 } })
    const b1 = await node.update(b.id, { content: { b: 1 } })
    await index.idle()
    expect(index.size).toBe(4)

    const all = index.list(EVENT_ID_MIN, EVENT_ID_MAX, 100)
    expect(all.map((e) => e.key)).toEqual([...all.map((e) => e.key)].sort(compareEventIds))
    const tipKey = eventIdFor({ id: b.id, controller: b1.metadata.controllers[0] }, b1.tip)
    expect(index.has(tipKey)).toBe(true)
    expect(decodeEventId(tipKey).eventCid.toString()).toBe(b1.tip)
    expect(all.find((e) => e.cid === b1.tip)).toMatchObject({ stream: b.id })

    const whole = index.summary(EVENT_ID_MIN, EVENT_ID_MAX)
    expect(whole.count).toBe(4)
    expect(whole.hash).toEqual(sha256aSum(all.map((e) => e.key)))
    // [first, last): split at the third key, the halves add up to the whole.
    const mid = all[2].key
    const left = index.summary(EVENT_ID_MIN, mid)
    const right = index.summary(mid, EVENT_ID_MAX)
    expect([left.count, right.count]).toEqual([2, 2])
    expect(sha256aAdd(left.hash.slice(), right.hash)).toEqual(whole.hash)
    expect(index.list(mid, EVENT_ID_MAX, 1).map((e) => e.key)).toEqual([mid])
    expect(index.splitPoints(EVENT_ID_MIN, EVENT_ID_MAX, 2)).toEqual([mid])
    index.stop()
    await node.close()
  })

  it('a build over many streams, with writes landing while it runs, holds each commit once under its own key', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const ids: string[] = []
    for (let i = 0; i < 25; i++) {
      const s = await node.create({ content: { i } })
      await node.update(s.id, { content: { i, n: 1 } })
      ids.push(s.id)
    }
    const index = createReconIndex({ node, log: () => {} })
    // Written while the build pages through the store: they reach it both ways, and count once.
    for (const id of ids.slice(0, 10)) await node.update(id, { content: { n: 2 } })
    const late = await node.create({ content: { late: true } })
    await index.idle()
    const expected: string[] = []
    for (const id of [...ids, late.id]) {
      const state = await node.load(id)
      for (const { cid } of await node.commits(id)) expected.push(hex(eventIdFor({ id, controller: state.metadata.controllers[0] }, cid)))
    }
    expect(index.size).toBe((await node.stats()).commits)
    expect(index.list(EVENT_ID_MIN, EVENT_ID_MAX, 1_000).map((e) => hex(e.key))).toEqual(expected.sort())
    index.stop()
    await node.close()
  })
})

describe('Recon messages', () => {
  it('an equal range needs no answer, a differing small one is answered with keys; forged keys are refused', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const a = await node.create({ content: { a: 0 } })
    const b = await node.create({ content: { b: 0 } })
    const index = createReconIndex({ node, log: () => {} })
    await index.idle()
    const whole = index.summary(EVENT_ID_MIN, EVENT_ID_MAX)
    const summary = { first: EVENT_ID_MIN, last: EVENT_ID_MAX, count: whole.count, hash: sha256aBytes(whole.hash) }
    const missing = new Map()
    expect(respond(index, parseMessage({ items: [summary] }), missing)).toEqual([])
    const [answer] = respond(index, [{ ...summary, count: 0, hash: new Uint8Array(32) }], missing)
    expect(answer.want).toBe(true)
    expect(answer.keys?.map((k) => k.cid).sort()).toEqual([a.tip, b.tip].sort())

    const key = eventIdFor({ id: a.id, controller: a.metadata.controllers[0] }, a.tip)
    expect(() => parseMessage({ items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, keys: [{ key, stream: b.id, cid: a.tip }] }] })).toThrow(/does not match/)
    expect(() => parseMessage({ items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, keys: [{ key, stream: a.id, cid: b.tip }] }] })).toThrow(/does not match/)
    expect(() => parseMessage({ items: [{ first: key, last: key, count: 0, hash: new Uint8Array(32) }] })).toThrow(/first < last/)
    expect(() => parseMessage({ items: [{ first: EVENT_ID_MIN, last: key, keys: [{ key, stream: a.id, cid: a.tip }] }] })).toThrow(/outside its range/)
    index.stop()
    await node.close()
  })

  it('to a side that holds nothing in a large range, the answer lists its first keys at once, whole streams, and splits the rest', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    for (let i = 0; i < 100; i++) {
      const s = await node.create({ content: { i } })
      for (let v = 1; v <= 2; v++) await node.update(s.id, { content: { i, v } })
    }
    const index = createReconIndex({ node, log: () => {} })
    await index.idle()
    const all = index.list(EVENT_ID_MIN, EVENT_ID_MAX, 1_000)
    expect(all).toHaveLength(300)
    const emptyHere = [
      { first: EVENT_ID_MIN, last: EVENT_ID_MAX, count: 0, hash: new Uint8Array(32) },
      { first: EVENT_ID_MIN, last: EVENT_ID_MAX, keys: [], want: true }
    ]
    for (const item of emptyHere) {
      const [listed, ...rest] = respond(index, [item], new Map())
      const keys = listed.keys ?? []
      expect(keys.length).toBeGreaterThan(200)
      expect(keys.map((k) => hex(k.key))).toEqual(all.slice(0, keys.length).map((k) => hex(k.key)))
      expect(listed.want).toBe(false)
      // The cut falls where a stream starts: no stream's keys are on both sides of it.
      expect(hex(listed.last)).toBe(hex(all[keys.length].key))
      const after = new Set(all.slice(keys.length).map((k) => k.stream))
      expect(keys.filter((k) => after.has(k.stream))).toEqual([])
      // The rest is split into summaries that cover it end to end.
      expect(rest.every((r) => r.keys == null)).toBe(true)
      expect(hex(rest[0].first)).toBe(hex(listed.last))
      expect(hex(rest[rest.length - 1].last)).toBe(hex(EVENT_ID_MAX))
      expect(rest.reduce((n, r) => n + (r.count ?? 0), 0)).toBe(300 - keys.length)
      // No more items than a split gives, so a full message of such answers is still one a peer takes.
      expect(1 + rest.length).toBeLessThanOrEqual(RECON_SPLIT)
      expect(() => parseMessage({ items: Array.from({ length: RECON_PENDING_RANGES }, () => [listed, ...rest]).flat() })).not.toThrow()
    }
    // A side that holds some keys there gets summaries only, to compare.
    expect(respond(index, [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, count: 5, hash: new Uint8Array(32) }], new Map()).every((r) => r.keys == null)).toBe(true)

    // Splits cut where a stream starts too; inside a stream only when it fills the range.
    const at = new Map(all.map((k, i) => [hex(k.key), i]))
    for (const parts of [2, 4, 7]) {
      const cuts = index.splitPoints(EVENT_ID_MIN, EVENT_ID_MAX, parts).map((k) => at.get(hex(k)) as number)
      expect(cuts.length).toBeGreaterThan(0)
      expect(cuts.length).toBeLessThan(parts)
      expect([...cuts].sort((a, b) => a - b)).toEqual(cuts)
      for (const i of cuts) expect(all[i - 1].stream).not.toBe(all[i].stream)
    }
    const oneStream = all.filter((k) => k.stream === all[0].stream)
    expect(index.splitPoints(oneStream[0].key, all[oneStream.length].key, 2)).toHaveLength(1)
    index.stop()
    await node.close()
  })
})
