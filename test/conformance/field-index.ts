import { describe, expect, it } from 'vitest'
import type { IndexedFields } from '../../src/store/field-index.js'
import type { Store, StreamQuery } from '../../src/store/store.js'
import { makeBatch, type StoreHarness } from './store.js'

let counter = 0
const uniqueName = (): string => `kiln-fields-${Date.now()}-${counter++}`
const MODEL = 'kmodel-posts'

/** Puts a new document of MODEL with these indexed fields; createdAt orders documents. */
async function putDoc (store: Store, id: string, fields: IndexedFields, createdAt: number, controller = 'did:key:alice'): Promise<string> {
  const batch = await makeBatch({ id, n: 0, expectedTip: null, createdAt, fields: { model: MODEL, controller, fields } })
  await store.putCommit(batch)
  return batch.commit.cid
}

async function ids (store: Store, query: StreamQuery, limit?: number): Promise<string[]> {
  return (await store.query(query, { limit })).items.map((r) => r.id)
}

/** Every page of a query, `limit` at a time: what a caller paging by cursor sees. */
async function paged (store: Store, query: StreamQuery, limit: number): Promise<string[]> {
  const seen: string[] = []
  let cursor: string | undefined
  do {
    const page = await store.query(query, { limit, cursor })
    seen.push(...page.items.map((r) => r.id))
    cursor = page.cursor
  } while (cursor != null)
  return seen
}

/** Field indexes behave the same on every store: what the node's Model queries rely on. */
export function fieldIndexConformance (name: string, harness: StoreHarness): void {
  describe(`${name} store field indexes`, () => {
    async function withScores (): Promise<Store> {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['score'] })
      const scores: Array<[string, IndexedFields]> = [
        ['d1', { score: 5 }], ['d2', { score: -2.5 }], ['d3', { score: 12 }], ['d4', {}], ['d5', { score: 5 }], ['d6', { score: 'high' }], ['d7', { score: 0 }]
      ]
      for (const [i, [id, fields]] of scores.entries()) await putDoc(store, id, fields, 1000 + i)
      return store
    }

    it('filters by equality, ranges, in and null, and sorts numbers as numbers', async () => {
      const store = await withScores()
      expect(await ids(store, { model: MODEL, where: { score: 5 } })).toEqual(['d1', 'd5'])
      expect(await ids(store, { model: MODEL, where: { score: { greaterThan: 0 } }, sort: { score: 'asc' } })).toEqual(['d1', 'd5', 'd3'])
      expect(await ids(store, { model: MODEL, where: { score: { greaterThanOrEqualTo: -2.5, lessThan: 5 } }, sort: { score: 'asc' } })).toEqual(['d2', 'd7'])
      expect(await ids(store, { model: MODEL, where: { score: { in: [12, 'high'] } } })).toEqual(['d3', 'd6'])
      expect(await ids(store, { model: MODEL, where: { score: { isNull: true } } })).toEqual(['d4'])
      expect(await ids(store, { model: MODEL, where: { score: { notEqualTo: 5, isNull: false } } })).toEqual(['d2', 'd7', 'd3', 'd6'])
      // Absent sorts first, then numbers in order (ties by creation), then strings.
      expect(await ids(store, { model: MODEL, sort: { score: 'asc' } })).toEqual(['d4', 'd2', 'd7', 'd1', 'd5', 'd3', 'd6'])
      expect(await ids(store, { model: MODEL, sort: { score: 'desc' } })).toEqual(['d6', 'd3', 'd5', 'd1', 'd7', 'd2', 'd4'])
      expect(await store.count({ model: MODEL, where: { score: 5 } })).toBe(2)
      expect(await store.count({ model: MODEL, where: { score: { greaterThan: 0 } } })).toBe(3)
      expect(await store.count({ model: MODEL })).toBe(7)
      await store.close()
    })

    it('pages by cursor in both directions without losing or repeating a document', async () => {
      const store = await withScores()
      for (const direction of ['asc', 'desc'] as const) {
        const query: StreamQuery = { model: MODEL, sort: { score: direction } }
        const whole = await ids(store, query)
        for (const limit of [1, 2, 3]) expect(await paged(store, query, limit)).toEqual(whole)
      }
      const filtered: StreamQuery = { model: MODEL, where: { score: { in: [5, 0, 12] } }, sort: { score: 'desc' } }
      expect(await paged(store, filtered, 1)).toEqual(['d3', 'd5', 'd1', 'd7'])
      // A cursor is plain text a command line or a URL carries (the keys inside it hold \0), and a
      // string that is not one is refused, not read as a position.
      const { cursor } = await store.query({ model: MODEL, sort: { score: 'asc' } }, { limit: 2 })
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
      await expect(store.query({ model: MODEL, sort: { score: 'asc' } }, { cursor: 'not a cursor\u0000' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      await store.close()
    })

    it('a compound index serves a pinned field with a sort; fields without an index are refused by name', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['author', 'published'] })
      await putDoc(store, 'p1', { author: 'ann', published: 300 }, 1)
      await putDoc(store, 'p2', { author: 'bob', published: 100 }, 2)
      await putDoc(store, 'p3', { author: 'ann', published: 100 }, 3)
      await putDoc(store, 'p4', { author: 'ann', published: 200 }, 4)
      expect(await ids(store, { model: MODEL, where: { author: 'ann' }, sort: { published: 'desc' } })).toEqual(['p1', 'p4', 'p3'])
      expect(await ids(store, { model: MODEL, where: { author: 'ann', published: { lessThan: 300 } } })).toEqual(['p3', 'p4'])
      expect(await store.count({ model: MODEL, where: { author: 'ann' } })).toBe(3)
      await expect(store.query({ model: MODEL, where: { title: 'x' } })).rejects.toMatchObject({ code: 'ERR_NOT_INDEXED', details: { fields: ['title'] } })
      // `published` is in the index but only after `author`: sorting every author by it needs another index.
      await expect(store.query({ model: MODEL, sort: { published: 'asc' } })).rejects.toMatchObject({ code: 'ERR_NOT_INDEXED' })
      await expect(store.query({ model: MODEL, where: { author: { like: 'a' } as never } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      // Values of a kind no index holds, as JSON from a query string may carry them, are refused too.
      for (const condition of [{ equalTo: {} }, ['ann'], { in: [{ a: 1 }] }, { notIn: 'ann' }, { isNull: 'yes' }, { notEqualTo: [1] }]) {
        await expect(store.query({ model: MODEL, where: { author: condition as never } }), JSON.stringify(condition)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
        await expect(store.count({ model: MODEL, where: { author: condition as never } }), JSON.stringify(condition)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      }
      await expect(store.query({ where: { author: 'ann' } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      // Each `in` value is a range of its own: a list past the cap is refused, never read like a scan.
      await expect(store.query({ model: MODEL, where: { author: { in: [...Array(65).keys()].map(String) } } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
      await store.close()
    })

    it('a new commit moves its document within the index; no stale entry is left', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['score'] })
      const tip = await putDoc(store, 'm1', { score: 1 }, 1)
      await putDoc(store, 'm2', { score: 2 }, 2)
      const next = await makeBatch({ id: 'm1', n: 1, prev: tip, expectedTip: tip, createdAt: 1, fields: { model: MODEL, fields: { score: 9 } } })
      await store.putCommit(next)
      expect(await ids(store, { model: MODEL, sort: { score: 'asc' } })).toEqual(['m2', 'm1'])
      expect(await store.count({ model: MODEL, where: { score: 1 } })).toBe(0)
      expect(await store.count({ model: MODEL, where: { score: 9 } })).toBe(1)
      await store.close()
    })

    it('an array field indexes each element, and a document shows once however many match', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['tags'] })
      await putDoc(store, 't1', { tags: ['a', 'b'] }, 1)
      await putDoc(store, 't2', { tags: ['b'] }, 2)
      await putDoc(store, 't3', { tags: [] }, 3)
      expect(await ids(store, { model: MODEL, where: { tags: 'a' } })).toEqual(['t1'])
      expect(await ids(store, { model: MODEL, where: { tags: 'b' } })).toEqual(['t1', 't2'])
      expect(await ids(store, { model: MODEL, where: { tags: { in: ['a', 'b'] } } })).toEqual(['t1', 't2'])
      expect(await store.count({ model: MODEL, where: { tags: { in: ['a', 'b'] } } })).toBe(2)
      expect(await ids(store, { model: MODEL, where: { tags: { isNull: true } } })).toEqual(['t3'])
      // Both of t1's tags lie in one range: still one result, at its first tag in reading order,
      // on whichever page that falls.
      await putDoc(store, 't4', { tags: ['c', 'a'] }, 4)
      const fromA = { model: MODEL, where: { tags: { greaterThanOrEqualTo: 'a' } } }
      expect(await ids(store, { ...fromA, sort: { tags: 'desc' } })).toEqual(['t4', 't2', 't1'])
      expect(await paged(store, { ...fromA, sort: { tags: 'desc' } }, 1)).toEqual(['t4', 't2', 't1'])
      expect(await paged(store, { ...fromA, sort: { tags: 'asc' } }, 1)).toEqual(['t1', 't4', 't2'])
      expect(await store.count(fromA)).toBe(3)
      await store.close()
    })

    it('a state a query reads along with a document is the state at its canonical tip, across branches', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['score'] })
      const first = await putDoc(store, 's1', { score: 1 }, 1)
      const second = await makeBatch({ id: 's1', n: 1, prev: first, expectedTip: first, createdAt: 1, fields: { model: MODEL, fields: { score: 2 } } })
      await store.putCommit(second)
      // A concurrent branch from the first commit that does not become canonical.
      const branch = await makeBatch({ id: 's1', n: 2, prev: first, expectedTip: second.commit.cid, createdAt: 1, tips: (cid) => [second.commit.cid, cid], fields: { model: MODEL, tip: second.commit.cid, fields: { score: 2 } } })
      branch.replacedTip = undefined
      await store.putCommit(branch)
      const [found] = (await store.query({ model: MODEL, where: { score: 2 } })).items
      expect(found.tip).toBe(second.commit.cid)
      expect(found.tips.sort()).toEqual([second.commit.cid, branch.commit.cid].sort())
      if (found.tipState != null) expect(found.tipState).toEqual(second.state)
      expect(await store.getState('s1', branch.commit.cid)).toEqual(branch.state)
      await store.close()
    })

    it('strings with separator characters and long strings with a common start match only themselves', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['name'] })
      const long = 'x'.repeat(400)
      const values = ['a', 'a\u0000b', 'a\u0001', 'ab', `${long}1`, `${long}2`, '']
      for (const [i, value] of values.entries()) await putDoc(store, `s${i}`, { name: value }, i)
      for (const [i, value] of values.entries()) {
        expect(await ids(store, { model: MODEL, where: { name: value } })).toEqual([`s${i}`])
        expect(await store.count({ model: MODEL, where: { name: value } })).toBe(1)
      }
      expect(await ids(store, { model: MODEL, where: { name: { greaterThan: 'a', lessThan: 'b' } }, sort: { name: 'asc' } })).toEqual(['s1', 's2', 's3'])
      await store.close()
    })

    it('documents stored before an index was declared are found once reindexed; a moved one is handed back', async () => {
      const name = uniqueName()
      const store = await harness.open(name)
      const tip1 = await putDoc(store, 'r1', {}, 1)
      const tip2 = await putDoc(store, 'r2', {}, 2)
      await store.declareIndex({ model: MODEL, fields: ['lang'] })
      expect(await store.indexes()).toEqual([{ model: MODEL, fields: ['lang'], ready: false }])
      expect(await ids(store, { model: MODEL, where: { lang: 'en' } })).toEqual([])
      const moved = await store.reindex([{ id: 'r1', tip: tip1, fields: { lang: 'en' } }, { id: 'r2', tip: 'bafy-not-its-tip', fields: { lang: 'en' } }])
      expect(moved).toEqual(['r2'])
      expect(await ids(store, { model: MODEL, where: { lang: 'en' } })).toEqual(['r1'])
      expect((await store.getStream('r1'))?.fields).toEqual({ lang: 'en' })
      await store.reindex([{ id: 'r2', tip: tip2, fields: { lang: 'de' } }])
      await store.setIndexReady({ model: MODEL, fields: ['lang'] })
      await store.declareIndex({ model: MODEL, fields: ['lang'] }) // again: nothing changes
      expect(await store.indexes()).toEqual([{ model: MODEL, fields: ['lang'], ready: true }])
      if (harness.persistent) {
        await store.close()
        const reopened = await harness.open(name)
        expect(await reopened.indexes()).toEqual([{ model: MODEL, fields: ['lang'], ready: true }])
        expect(await ids(reopened, { model: MODEL, where: { lang: 'de' } })).toEqual(['r2'])
        await reopened.close()
      } else {
        await store.close()
      }
    })

    it('a forgotten stream leaves no trace in records, indexes, commits or stats; other streams and shared blocks stay', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['score'] })
      const gone = await makeBatch({ id: 'g1', n: 0, expectedTip: null, createdAt: 1, fields: { model: MODEL, fields: { score: 1 } } })
      const kept = await makeBatch({ id: 'g2', n: 0, expectedTip: null, createdAt: 2, fields: { model: MODEL, fields: { score: 1 } } })
      // A block both streams use, as a wallet session's capability is.
      const shared = (await makeBatch({ id: 'shared', n: 0, expectedTip: null })).blocks[0]
      gone.blocks.push(shared)
      kept.blocks.push(shared)
      await store.putCommit(gone)
      await store.putCommit(kept)
      const next = await makeBatch({ id: 'g1', n: 1, prev: gone.commit.cid, expectedTip: gone.commit.cid, createdAt: 1, fields: { model: MODEL, fields: { score: 2 } } })
      await store.putCommit(next)
      const before = await store.stats()

      await store.forget('g1', [gone.commit.cid, next.commit.cid])
      expect(await store.getStream('g1')).toBeUndefined()
      expect(await store.getCommits('g1')).toEqual([])
      expect(await store.getState('g1', next.commit.cid)).toBeUndefined()
      expect(await store.getBlock(gone.commit.cid)).toBeUndefined()
      expect(await store.getBlock(shared.cid.toString())).toEqual(shared.bytes)
      expect(await ids(store, { model: MODEL })).toEqual(['g2'])
      expect(await ids(store, { model: MODEL, sort: { score: 'asc' } })).toEqual(['g2'])
      expect(await store.count({ model: MODEL, where: { score: 2 } })).toBe(0)
      expect(await store.count({ model: MODEL })).toBe(1)
      expect(await store.stats()).toEqual({ streams: before.streams - 1, commits: before.commits - 2, blocks: before.blocks - 2 })
      expect((await store.getStream('g2'))?.tip).toBe(kept.commit.cid)
      await store.forget('never-held', [])
      // Forgotten, it can be stored again from scratch (synced anew).
      await store.putCommit(gone)
      expect((await store.getStream('g1'))?.tip).toBe(gone.commit.cid)
      expect(await store.count({ model: MODEL })).toBe(2)
      await store.close()
    })

    it('the record query filters (controller) combine with a field index', async () => {
      const store = await harness.open(uniqueName())
      await store.declareIndex({ model: MODEL, fields: ['score'] })
      await putDoc(store, 'c1', { score: 1 }, 1, 'did:key:ann')
      await putDoc(store, 'c2', { score: 1 }, 2, 'did:key:bob')
      expect(await ids(store, { model: MODEL, controller: 'did:key:bob', where: { score: 1 } })).toEqual(['c2'])
      expect(await store.count({ model: MODEL, controller: 'did:key:bob', where: { score: 1 } })).toBe(1)
      expect(await store.count({ model: MODEL, controller: 'did:key:bob' })).toBe(1)
      await store.close()
    })
  })
}
