import { describe, expect, it } from 'vitest'
import { encodeCborBlock } from '../../src/commits/block.js'
import type { CommitBatch, Store, StreamRecord } from '../../src/store/store.js'

/** How a store implementation plugs into the suite. */
export interface StoreHarness {
  /** Opens (or reopens) the store called `name`; each test uses fresh names. */
  open: (name: string) => Promise<Store>
  /** True when data survives close + reopen (disk, IndexedDB). */
  persistent: boolean
}

let counter = 0
const uniqueName = (): string => `kiln-conformance-${Date.now()}-${counter++}`

/** A batch for a commit of `id` with real blocks; `prev` makes it extend that tip. */
export async function makeBatch (init: {
  id: string
  n: number
  prev?: string
  expectedTip: string | null
  tips?: (cid: string) => string[]
  fields?: Partial<StreamRecord>
  createdAt?: number
}): Promise<CommitBatch> {
  const block = await encodeCborBlock({ stream: init.id, n: init.n, prev: init.prev ?? null })
  const cid = block.cid.toString()
  const now = Date.now()
  return {
    expectedTip: init.expectedTip,
    commit: { stream: init.id, cid, prev: init.prev, type: init.prev == null ? 0 : 1, receivedAt: now },
    blocks: [block],
    state: new TextEncoder().encode(`state of ${init.id} at ${init.n}`),
    replacedTip: init.prev,
    stream: {
      id: init.id,
      type: 0,
      tips: init.tips?.(cid) ?? [cid],
      tip: cid,
      controller: 'did:key:alice',
      createdAt: init.createdAt ?? now,
      updatedAt: now,
      pinned: false,
      ...init.fields
    }
  }
}

/** One suite, every store: the behaviours the node relies on (style.md §3). */
export function storeConformance (name: string, harness: StoreHarness): void {
  describe(`${name} store conformance`, () => {
    it('a new stream\'s commit is stored whole: blocks, record, commit and state', async () => {
      const store = await harness.open(uniqueName())
      const batch = await makeBatch({ id: 'kstream1', n: 0, expectedTip: null })
      await store.putCommit(batch)
      expect(await store.getBlock(batch.commit.cid)).toEqual(batch.blocks[0].bytes)
      expect(await store.getStream('kstream1')).toMatchObject({ id: 'kstream1', tip: batch.commit.cid, tips: [batch.commit.cid], controller: 'did:key:alice' })
      expect(await store.getCommits('kstream1')).toEqual([batch.commit])
      expect(await store.getState('kstream1', batch.commit.cid)).toEqual(batch.state)
      expect(await store.getStream('unknown')).toBeUndefined()
      await store.close()
    })

    it('a commit extending the tip replaces it, and the old tip\'s state is dropped', async () => {
      const store = await harness.open(uniqueName())
      const first = await makeBatch({ id: 's', n: 0, expectedTip: null })
      await store.putCommit(first)
      const second = await makeBatch({ id: 's', n: 1, prev: first.commit.cid, expectedTip: first.commit.cid })
      await store.putCommit(second)
      const record = await store.getStream('s')
      expect(record?.tips).toEqual([second.commit.cid])
      expect(record?.tip).toBe(second.commit.cid)
      expect(await store.getState('s', first.commit.cid)).toBeUndefined()
      expect(await store.getState('s', second.commit.cid)).toEqual(second.state)
      expect((await store.getCommits('s')).map((c) => c.cid).sort()).toEqual([first.commit.cid, second.commit.cid].sort())
      await store.close()
    })

    it('a run of commits written at once (a sync or an import) stores every commit', async () => {
      const store = await harness.open(uniqueName())
      const first = await makeBatch({ id: 'run', n: 0, expectedTip: null })
      await store.putCommit(first)
      const middle = await makeBatch({ id: 'run', n: 1, prev: first.commit.cid, expectedTip: first.commit.cid })
      const last = await makeBatch({ id: 'run', n: 2, prev: middle.commit.cid, expectedTip: first.commit.cid })
      last.earlierCommits = [middle.commit]
      last.blocks.push(...middle.blocks)
      last.replacedTip = first.commit.cid
      await store.putCommit(last)
      expect((await store.getCommits('run')).map((c) => c.cid).sort()).toEqual([first.commit.cid, middle.commit.cid, last.commit.cid].sort())
      expect(await store.getBlock(middle.commit.cid)).toEqual(middle.blocks[0].bytes)
      expect((await store.getStream('run'))?.tips).toEqual([last.commit.cid])
      expect(await store.getState('run', first.commit.cid)).toBeUndefined()
      expect((await store.stats()).commits).toBe(3)
      await store.close()
    })

    it('listCommits pages through every commit of every stream once, whatever the page size', async () => {
      const store = await harness.open(uniqueName())
      const written: string[] = []
      for (const id of ['s-b', 's-a', 's-c']) {
        let prev: CommitBatch | undefined
        for (let n = 0; n < 3; n++) {
          const batch: CommitBatch = await makeBatch({ id, n, prev: prev?.commit.cid, expectedTip: prev?.commit.cid ?? null })
          await store.putCommit(batch)
          written.push(`${id} ${batch.commit.cid}`)
          prev = batch
        }
      }
      for (const limit of [1, 2, 4, 100]) {
        const listed: string[] = []
        let cursor: string | undefined
        let pages = 0
        do {
          const page = await store.listCommits({ limit, cursor })
          listed.push(...page.items.map((c) => `${c.stream} ${c.cid}`))
          cursor = page.cursor
          pages++
        } while (cursor != null && pages < 20)
        expect(listed.sort()).toEqual([...written].sort())
      }
      expect(await store.listCommits({ limit: 100 })).not.toHaveProperty('cursor')
      await store.close()
    })

    it('a write built on a stale tip is refused and nothing of it is stored', async () => {
      const store = await harness.open(uniqueName())
      const first = await makeBatch({ id: 's', n: 0, expectedTip: null })
      await store.putCommit(first)
      const second = await makeBatch({ id: 's', n: 1, prev: first.commit.cid, expectedTip: first.commit.cid })
      await store.putCommit(second)
      const stale = await makeBatch({ id: 's', n: 2, prev: first.commit.cid, expectedTip: first.commit.cid })
      await expect(store.putCommit(stale)).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
      const again = await makeBatch({ id: 's', n: 3, expectedTip: null })
      await expect(store.putCommit(again)).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
      expect(await store.getBlock(stale.commit.cid)).toBeUndefined()
      expect((await store.getStream('s'))?.tip).toBe(second.commit.cid)
      expect(await store.getCommits('s')).toHaveLength(2)
      expect(await store.getState('s', second.commit.cid)).toEqual(second.state)
      await store.close()
    })

    it('two concurrent branches are both kept as tips', async () => {
      const store = await harness.open(uniqueName())
      const genesis = await makeBatch({ id: 's', n: 0, expectedTip: null })
      await store.putCommit(genesis)
      const a = await makeBatch({ id: 's', n: 1, prev: genesis.commit.cid, expectedTip: genesis.commit.cid })
      await store.putCommit(a)
      // A remote branch from the genesis: the node keeps `a` canonical and records both tips.
      const b = await makeBatch({ id: 's', n: 2, prev: genesis.commit.cid, expectedTip: a.commit.cid, tips: (cid) => [a.commit.cid, cid] })
      b.stream.tip = a.commit.cid
      b.replacedTip = undefined
      await store.putCommit(b)
      const record = await store.getStream('s')
      expect(record?.tips.sort()).toEqual([a.commit.cid, b.commit.cid].sort())
      expect(record?.tip).toBe(a.commit.cid)
      expect(await store.getState('s', a.commit.cid)).toEqual(a.state)
      expect(await store.getState('s', b.commit.cid)).toEqual(b.state)
      await store.close()
    })

    it('when the canonical tip moves to another branch, every tip keeps its state, through later writes on either branch', async () => {
      const name = uniqueName()
      let store = await harness.open(name)
      const genesis = await makeBatch({ id: 's', n: 0, expectedTip: null })
      await store.putCommit(genesis)
      const a = await makeBatch({ id: 's', n: 1, prev: genesis.commit.cid, expectedTip: genesis.commit.cid })
      await store.putCommit(a)
      // A branch from the genesis that the conflict rule picks: `a` stays a tip, no longer canonical.
      const b = await makeBatch({ id: 's', n: 2, prev: genesis.commit.cid, expectedTip: a.commit.cid, tips: (cid) => [a.commit.cid, cid] })
      b.replacedTip = undefined
      await store.putCommit(b)
      expect(await store.getState('s', a.commit.cid)).toEqual(a.state)
      expect(await store.getState('s', b.commit.cid)).toEqual(b.state)
      // `a` is extended and wins again: `a` is no tip any more, `b` still is.
      const a2 = await makeBatch({ id: 's', n: 3, prev: a.commit.cid, expectedTip: b.commit.cid, tips: (cid) => [b.commit.cid, cid] })
      await store.putCommit(a2)
      // `b` is extended but `a2` stays canonical.
      const b2 = await makeBatch({ id: 's', n: 4, prev: b.commit.cid, expectedTip: a2.commit.cid, tips: (cid) => [a2.commit.cid, cid] })
      b2.stream.tip = a2.commit.cid
      await store.putCommit(b2)
      if (harness.persistent) {
        await store.close()
        store = await harness.open(name)
      }
      expect((await store.getStream('s'))?.tip).toBe(a2.commit.cid)
      expect(await store.getState('s', a2.commit.cid)).toEqual(a2.state)
      expect(await store.getState('s', b2.commit.cid)).toEqual(b2.state)
      expect(await store.getStates([{ id: 's', tip: b2.commit.cid }, { id: 's', tip: a2.commit.cid }])).toEqual([b2.state, a2.state])
      // States of commits that are no longer tips are dropped.
      for (const old of [a, b]) expect(await store.getState('s', old.commit.cid)).toBeUndefined()
      await store.close()
    })

    it('queries by controller, model, family and schema page through oldest first', async () => {
      const store = await harness.open(uniqueName())
      const base = Date.now()
      for (let i = 0; i < 25; i++) {
        await store.putCommit(await makeBatch({
          id: `q${String(i).padStart(2, '0')}`,
          n: i,
          expectedTip: null,
          createdAt: base + i,
          fields: { controller: i % 2 === 0 ? 'did:key:even' : 'did:key:odd', model: i % 5 === 0 ? 'kmodel' : undefined, family: 'fam', schema: i === 7 ? 'kschema' : undefined }
        }))
      }
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await store.query({ controller: 'did:key:even' }, { limit: 5, cursor })
        expect(page.items.length).toBeLessThanOrEqual(5)
        seen.push(...page.items.map((r) => r.id))
        cursor = page.cursor
      } while (cursor != null)
      expect(seen).toEqual(Array.from({ length: 13 }, (_, k) => `q${String(k * 2).padStart(2, '0')}`))
      expect((await store.query({ model: 'kmodel' })).items.map((r) => r.id)).toEqual(['q00', 'q05', 'q10', 'q15', 'q20'])
      expect((await store.query({ model: 'kmodel', controller: 'did:key:odd' })).items.map((r) => r.id)).toEqual(['q05', 'q15'])
      expect((await store.query({ schema: 'kschema' })).items.map((r) => r.id)).toEqual(['q07'])
      expect((await store.query({ family: 'fam' }, { limit: 1000 })).items).toHaveLength(25)
      expect((await store.query({})).items).toHaveLength(25)
      expect((await store.query({ controller: 'did:key:nobody' })).items).toEqual([])
      await store.close()
    })

    it('forks are found by their source, alone or with another field, and counted', async () => {
      const store = await harness.open(uniqueName())
      const base = Date.now()
      const forks = [['f0', 'ksource', 'did:key:bob'], ['f1', 'kother', 'did:key:bob'], ['f2', 'ksource', 'did:key:carol'], ['f3', undefined, 'did:key:bob']] as const
      for (const [i, [id, forkOf, controller]] of forks.entries()) {
        await store.putCommit(await makeBatch({ id, n: i, expectedTip: null, createdAt: base + i, fields: { controller, ...(forkOf == null ? {} : { forkOf }) } }))
      }
      expect((await store.query({ forkOf: 'ksource' })).items.map((r) => r.id)).toEqual(['f0', 'f2'])
      expect((await store.query({ forkOf: 'ksource', controller: 'did:key:carol' })).items.map((r) => r.id)).toEqual(['f2'])
      expect((await store.query({ forkOf: 'ksource' }, { limit: 1 })).cursor).toBeDefined()
      expect(await store.count({ forkOf: 'ksource' })).toBe(2)
      expect(await store.count({ forkOf: 'knothing' })).toBe(0)
      expect((await store.getStream('f0'))?.forkOf).toBe('ksource')
      await store.close()
    })

    it('a changed field moves the stream between query results', async () => {
      const store = await harness.open(uniqueName())
      const first = await makeBatch({ id: 'moving', n: 0, expectedTip: null, fields: { controller: 'did:key:alice' } })
      await store.putCommit(first)
      const second = await makeBatch({ id: 'moving', n: 1, prev: first.commit.cid, expectedTip: first.commit.cid, createdAt: first.stream.createdAt, fields: { controller: 'did:key:bob' } })
      await store.putCommit(second)
      expect((await store.query({ controller: 'did:key:alice' })).items).toEqual([])
      expect((await store.query({ controller: 'did:key:bob' })).items.map((r) => r.id)).toEqual(['moving'])
      expect((await store.query({})).items).toHaveLength(1)
      await store.close()
    })

    it('pin and unpin are recorded, and stats count what is stored', async () => {
      const store = await harness.open(uniqueName())
      const first = await makeBatch({ id: 'p', n: 0, expectedTip: null })
      await store.putCommit(first)
      await store.putCommit(await makeBatch({ id: 'p', n: 1, prev: first.commit.cid, expectedTip: first.commit.cid, createdAt: first.stream.createdAt }))
      await store.setPinned('p', true)
      expect((await store.getStream('p'))?.pinned).toBe(true)
      await store.setPinned('p', false)
      expect((await store.getStream('p'))?.pinned).toBe(false)
      expect(await store.stats()).toEqual({ streams: 1, commits: 2, blocks: 2 })
      await store.close()
    })

    it('several streams written together land together, or none does when one of them moved', async () => {
      const store = await harness.open(uniqueName())
      const existing = await makeBatch({ id: 'b0', n: 0, expectedTip: null })
      await store.putCommit(existing)
      const fresh = await Promise.all(['b1', 'b2', 'b3'].map(async (id, n) => await makeBatch({ id, n, expectedTip: null, fields: { model: 'kbatch' } })))
      const next = await makeBatch({ id: 'b0', n: 1, prev: existing.commit.cid, expectedTip: existing.commit.cid, createdAt: existing.stream.createdAt })
      // One batch built on a tip b0 no longer has: nothing of the call is stored.
      const stale = await makeBatch({ id: 'b0', n: 2, prev: 'bafy-elsewhere', expectedTip: 'bafy-elsewhere' })
      await expect(store.putCommits([...fresh, stale])).rejects.toMatchObject({ code: 'ERR_STALE_TIP' })
      for (const id of ['b1', 'b2', 'b3']) expect(await store.getStream(id)).toBeUndefined()
      expect((await store.getStream('b0'))?.tip).toBe(existing.commit.cid)
      expect(await store.stats()).toMatchObject({ streams: 1, commits: 1 })
      await expect(store.putCommits([next, next])).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })

      await store.putCommits([...fresh, next])
      expect((await store.query({ model: 'kbatch' })).items.map((r) => r.id)).toEqual(['b1', 'b2', 'b3'])
      expect((await store.getStream('b0'))?.tip).toBe(next.commit.cid)
      expect(await store.stats()).toMatchObject({ streams: 4, commits: 5 })
      await store.close()
    })

    it('many concurrent writes to different streams all land', async () => {
      const store = await harness.open(uniqueName())
      const batches = await Promise.all(Array.from({ length: 200 }, async (_, i) => await makeBatch({ id: `c${i}`, n: i, expectedTip: null })))
      await Promise.all(batches.map(async (b) => { await store.putCommit(b) }))
      const reads = await Promise.all(batches.map(async (b) => await store.getStream(b.stream.id)))
      expect(reads.every((r, i) => r?.tip === batches[i].commit.cid)).toBe(true)
      expect((await store.stats()).streams).toBe(200)
      await store.close()
    })

    it('a closed store refuses every call with a typed error', async () => {
      const store = await harness.open(uniqueName())
      await store.close()
      await expect(store.getStream('x')).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
      await expect(store.putCommit(await makeBatch({ id: 'x', n: 0, expectedTip: null }))).rejects.toMatchObject({ code: 'ERR_STORE_CLOSED' })
    })

    it('of two concurrent writes on the same tip, exactly one lands and the other is refused as stale', async () => {
      const store = await harness.open(uniqueName())
      const genesis = await makeBatch({ id: 'race', n: 0, expectedTip: null })
      await store.putCommit(genesis)
      const a = await makeBatch({ id: 'race', n: 1, prev: genesis.commit.cid, expectedTip: genesis.commit.cid, createdAt: genesis.stream.createdAt })
      const b = await makeBatch({ id: 'race', n: 2, prev: genesis.commit.cid, expectedTip: genesis.commit.cid, createdAt: genesis.stream.createdAt })
      const results = await Promise.allSettled([store.putCommit(a), store.putCommit(b)])
      const won = results.findIndex((r) => r.status === 'fulfilled')
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      expect(results[1 - won]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STALE_TIP' } })
      expect((await store.getStream('race'))?.tip).toBe([a, b][won].commit.cid)
      expect(await store.getCommits('race')).toHaveLength(2)
      expect(await store.stats()).toEqual({ streams: 1, commits: 2, blocks: 2 })
      await store.close()
    })

    it('query values that contain separator characters match only themselves', async () => {
      const store = await harness.open(uniqueName())
      const families = ['a', 'a!b', 'a%21b', 'a!', 'a=b', 'a/b']
      for (const [i, family] of families.entries()) {
        await store.putCommit(await makeBatch({ id: `f${i}`, n: i, expectedTip: null, fields: { family } }))
      }
      for (const [i, family] of families.entries()) {
        expect((await store.query({ family })).items.map((r) => r.id)).toEqual([`f${i}`])
      }
      await store.close()
    })

    it.skipIf(!harness.persistent)('what was written survives close and reopen', async () => {
      const name = uniqueName()
      const store = await harness.open(name)
      const first = await makeBatch({ id: 'durable', n: 0, expectedTip: null, fields: { model: 'kmodel' } })
      await store.putCommit(first)
      await store.close()
      const reopened = await harness.open(name)
      expect((await reopened.getStream('durable'))?.tip).toBe(first.commit.cid)
      expect(await reopened.getBlock(first.commit.cid)).toEqual(first.blocks[0].bytes)
      expect((await reopened.query({ model: 'kmodel' })).items.map((r) => r.id)).toEqual(['durable'])
      await reopened.close()
    })

    it.skipIf(!harness.persistent)('a store cannot be opened twice at once', async () => {
      const name = uniqueName()
      const store = await harness.open(name)
      await expect(harness.open(name)).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
      expect(await store.getStream('x')).toBeUndefined()
      await store.close()
    })
  })
}
