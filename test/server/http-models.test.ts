import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StreamSnapshot } from '../../src/api/types.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createHttpApi } from '../../src/server/http-api.js'
import { MAX_QUERY_STRING_CHARS } from '../../src/server/http-query.js'
import { createDiskStore } from '../../src/store/disk-store.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { idle, quiet } from '../fixtures/http-server.js'
import { listModel } from '../fixtures/models.js'


/** Posts with a tag and a publication time; `published` may be absent. */
const postModel = listModel('Post', { title: { type: 'string' }, tag: { type: 'string' }, published: { type: 'integer' } }, ['title', 'tag'])

const dir = mkdtempSync(join(tmpdir(), 'kiln-http-models-'))
let node: StreamNode
let base: string
let close: () => Promise<void>
let model: string
let bob: string
/** Every post's StreamID by title. */
const ids = new Map<string, string>()

// One node on a disk store, as `kiln serve` runs it: alice's posts p0–p4 and p6, bob's p5 (written
// on his own node and imported), and two declared indexes.
beforeAll(async () => {
  node = createStreamNode({ store: await createDiskStore({ path: join(dir, 'store') }), signer: await kilnSigner('alice') })
  const created = await node.create({ type: 'model', content: postModel })
  model = created.id
  const post = async (title: string, tag: string, published?: number): Promise<void> => {
    ids.set(title, (await node.create({ type: 'MID', model, content: published == null ? { title, tag } : { title, tag, published } })).id)
  }
  await post('p0', 'a', 300)
  await post('p1', 'b', 100)
  await post('p2', 'a', 100)
  await post('p3', 'a', 200)
  await post('p4', 'b', 400)
  const bobs = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('bob') })
  await bobs.importCar(await node.exportCar(model))
  const p5 = await bobs.create({ type: 'MID', model, content: { title: 'p5', tag: 'a', published: 500 } })
  bob = bobs.controller as string
  ids.set('p5', (await node.importCar(await bobs.exportCar(p5.id))).id)
  await post('p6', 'c')
  await node.indexModel(model, [['tag', 'published'], ['published']])

  const server = createHttpApi({ node, peerId: 'test', multiaddrs: () => [], sync: idle, log: quiet })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = async () => { await new Promise((resolve) => server.close(resolve)) }
}, 60_000)

afterAll(async () => {
  await close?.()
  await node?.close()
  rmSync(dir, { recursive: true, force: true })
})

async function get (path: string): Promise<{ status: number, body: any }> {
  const res = await fetch(base + path)
  return { status: res.status, body: await res.json() }
}

/** The query string of a documents or count request, JSON parameters encoded as a client would. */
function qs (params: Record<string, unknown>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) search.set(name, typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value))
  return search.size === 0 ? '' : `?${search.toString()}`
}

async function titles (params: Record<string, unknown>): Promise<string[]> {
  const { status, body } = await get(`/models/${model}/documents${qs(params)}`)
  expect(status, JSON.stringify(body)).toBe(200)
  return (body.items as StreamSnapshot[]).map((s) => (s.content as { title: string }).title)
}

/** Follows `cursor` from page to page; the titles of every page. */
async function pages (path: string, params: Record<string, unknown>): Promise<string[][]> {
  const all: string[][] = []
  let cursor: string | undefined
  do {
    const { status, body } = await get(`${path}${qs(cursor == null ? params : { ...params, cursor })}`)
    expect(status, JSON.stringify(body)).toBe(200)
    all.push((body.items as StreamSnapshot[]).map((s) => (s.content as { title: string }).title))
    cursor = body.cursor
    expect(all.length).toBeLessThan(20)
  } while (cursor != null)
  return all
}

describe('HTTP API: Model documents', () => {
  it('where filters by content fields, sort orders them, and each document is the snapshot /streams/:id gives', async () => {
    expect(await titles({ where: { tag: 'a' }, sort: { published: 'desc' } })).toEqual(['p5', 'p0', 'p3', 'p2'])
    expect(await titles({ where: { published: { greaterThanOrEqualTo: 200 } }, sort: { published: 'asc' } })).toEqual(['p3', 'p0', 'p4', 'p5'])
    expect(await titles({ where: { tag: 'a', published: { lessThan: 300 } }, sort: { published: 'asc' } })).toEqual(['p2', 'p3'])
    expect((await titles({ where: { tag: { in: ['b', 'c'] } } })).sort()).toEqual(['p1', 'p4', 'p6'])
    expect((await titles({ where: { tag: { notEqualTo: 'a' }, published: { isNull: false } } })).sort()).toEqual(['p1', 'p4'])
    expect(await titles({ where: { published: { isNull: true } } })).toEqual(['p6'])
    expect(await titles({ where: { tag: 'a' }, controller: bob })).toEqual(['p5'])
    expect(await titles({ where: { tag: 'z' } })).toEqual([])

    const { body } = await get(`/models/${model}/documents${qs({ where: { tag: 'c' } })}`)
    expect(body.items).toEqual([(await get(`/streams/${ids.get('p6') as string}`)).body])
    expect(body.cursor).toBeUndefined()
  })

  it('cursor paging gives every matching document once, in order, and the last page has no cursor', async () => {
    const path = `/models/${model}/documents`
    // `published` ascending puts the post without one first (null sorts before numbers); p1 and p2 tie, oldest first.
    expect(await pages(path, { sort: { published: 'asc' }, limit: 2 })).toEqual([['p6', 'p1'], ['p2', 'p3'], ['p0', 'p4'], ['p5']])
    expect(await pages(path, { where: { tag: 'a' }, sort: { published: 'desc' }, limit: 3 })).toEqual([['p5', 'p0', 'p3'], ['p2']])
    expect((await pages(path, { where: { tag: { in: ['a', 'b'] } }, limit: 2 })).flat().sort()).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'])
  })

  it('counts match the documents the same where gives', async () => {
    const count = async (params: Record<string, unknown>): Promise<unknown> => (await get(`/models/${model}/count${qs(params)}`)).body
    expect(await count({})).toEqual({ count: 7 })
    expect(await count({ where: { tag: 'a' } })).toEqual({ count: 4 })
    expect(await count({ where: { tag: 'a' }, controller: bob })).toEqual({ count: 1 })
    expect(await count({ where: { published: { greaterThan: 100, lessThanOrEqualTo: 400 } } })).toEqual({ count: 3 })
    expect(await count({ where: { tag: { in: ['b', 'c'] } } })).toEqual({ count: 3 })
  })

  it('lists the Model\'s indexes', async () => {
    const { status, body } = await get(`/models/${model}/indexes`)
    expect(status).toBe(200)
    expect(body).toEqual(expect.arrayContaining([
      expect.objectContaining({ model, fields: ['tag', 'published'], state: 'ready' }),
      expect.objectContaining({ model, fields: ['published'], state: 'ready' })
    ]))
  })

  it('GET /streams lists by model, controller and family, oldest first, in pages', async () => {
    const all = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']
    expect((await pages('/streams', { model, limit: 3 }))).toEqual([all.slice(0, 3), all.slice(3, 6), all.slice(6)])
    expect(await pages('/streams', { model, controller: bob })).toEqual([['p5']])
    const { body } = await get(`/streams${qs({ controller: bob })}`)
    expect(body.items.map((s: StreamSnapshot) => s.id)).toEqual([ids.get('p5')])
    expect((await get(`/streams${qs({ family: 'nothing-here' })}`)).body).toEqual({ items: [] })
  })
})

describe('HTTP API: bad Model queries', () => {
  it('bad JSON, unknown filters, unindexed fields, bad pages and oversize query strings are 400s with typed codes; nothing stored changes', async () => {
    const before = await node.stats()
    const docs = `/models/${model}/documents`
    const cases: Array<[string, string]> = [
      [`${docs}?where=%7Bnot-json`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: ['tag', 'a'] })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: 'a' })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: { tag: { like: 'a%' } } })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: { tag: { equalTo: { nested: 1 } } } })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: { tag: ['a', 'b'] } })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: { tag: { in: [] } } })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ where: { title: 'p1' } })}`, 'ERR_NOT_INDEXED'],
      [`${docs}${qs({ sort: { title: 'asc' } })}`, 'ERR_NOT_INDEXED'],
      [`${docs}${qs({ sort: { published: 'up' } })}`, 'ERR_INVALID_INPUT'],
      [`${docs}${qs({ sort: 'published' })}`, 'ERR_INVALID_INPUT'],
      [`${docs}?limit=0`, 'ERR_INVALID_INPUT'],
      [`${docs}?limit=ten`, 'ERR_INVALID_INPUT'],
      [`${docs}?limit=2.5`, 'ERR_INVALID_INPUT'],
      [`${docs}?limit=100000`, 'ERR_INVALID_INPUT'],
      [`${docs}?wher=%7B%7D`, 'ERR_INVALID_INPUT'],
      [`${docs}?limit=1&limit=2`, 'ERR_INVALID_INPUT'],
      [`${docs}?where=${encodeURIComponent(JSON.stringify({ tag: { in: Array.from({ length: 1000 }, (_, i) => `tag-${i}`) } }))}`, 'ERR_INVALID_INPUT'],
      [`/models/${model}/count${qs({ where: { title: 'p1' } })}`, 'ERR_NOT_INDEXED'],
      [`/models/${model}/count${qs({ sort: { published: 'asc' } })}`, 'ERR_INVALID_INPUT'],
      [`/models/${model}/count?where=nope`, 'ERR_INVALID_INPUT'],
      [`/models/${model}/indexes?fields=tag`, 'ERR_INVALID_INPUT'],
      ['/models/not-a-stream-id/documents', 'ERR_INVALID_ID'],
      ['/models/%zz/count', 'ERR_INVALID_ID'],
      [`/models/${ids.get('p1') as string}/documents`, 'ERR_INVALID_ID'],
      [`/streams${qs({ model: ids.get('p1') as string })}`, 'ERR_INVALID_ID'],
      [`/streams${qs({ where: { tag: 'a' } })}`, 'ERR_INVALID_INPUT'],
      ['/streams?limit=-1', 'ERR_INVALID_INPUT']
    ]
    for (const [path, code] of cases) {
      const { status, body } = await get(path)
      expect({ status, code: body.error?.code }, path.slice(0, 200)).toEqual({ status: 400, code })
      expect(body.error.message).toEqual(expect.any(String))
    }
    expect(`${docs}?where=${'x'.repeat(MAX_QUERY_STRING_CHARS)}`.length).toBeLessThan(16_000)
    expect(await get(`${docs}?where=${'x'.repeat(MAX_QUERY_STRING_CHARS)}`)).toMatchObject({ status: 400, body: { error: { code: 'ERR_INVALID_INPUT' } } })
    expect(await get(`${docs}${qs({ sort: { published: 'asc' }, cursor: 'not a cursor\u0000' })}`)).toMatchObject({ status: 400, body: { error: { code: 'ERR_INVALID_INPUT' } } })
    expect(await node.stats()).toEqual(before)
    expect((await get(`/models/${model}/count`)).body).toEqual({ count: 7 })
  })
})
