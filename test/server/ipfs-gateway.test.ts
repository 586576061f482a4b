import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createVerifiedFetch } from '@helia/verified-fetch'
import { CarReader } from '@ipld/car'
import { LevelBlockstore } from 'blockstore-level'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals } from 'uint8arrays'
import { afterEach, describe, expect, it } from 'vitest'
import { type Server, serve, stop, tempDir } from './kiln-serve.js'

const exec = promisify(execFile)
const KILN = join(import.meta.dirname, '../../bin/kiln.js')
const MiB = 1024 * 1024

async function kiln (dir: string, ...args: string[]): Promise<any> {
  const { stdout } = await exec(process.execPath, [KILN, '--dir', dir, ...args], { env: { ...process.env, KILN_SEED: '' }, encoding: 'utf8', maxBuffer: 64 * MiB })
  return JSON.parse(stdout)
}

/** Bytes that differ everywhere, so no two 1 MiB chunks are the same block. */
function bytesOf (length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

/** verified-fetch (helia 7) asking only this gateway: no routers, no libp2p transports or discovery. */
async function verifiedFetchFrom (gateway: string): Promise<Awaited<ReturnType<typeof createVerifiedFetch>>> {
  return await createVerifiedFetch({
    gateways: [gateway],
    routers: [],
    allowInsecure: true,
    allowLocal: true,
    libp2pConfig: { transports: [], peerDiscovery: [], services: {}, addresses: { listen: [] } }
  })
}

async function get (server: Server, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Response> {
  return await fetch(server.ready.http + path, { headers, method })
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c() })

describe('kiln serve: /ipfs/{cid} as a trustless gateway', () => {
  it('a file added with `kiln file add` is fetched by @helia/verified-fetch from kiln serve, the same bytes', async () => {
    const dir = tempDir()
    const bytes = bytesOf(3 * MiB + 123)
    writeFileSync(join(dir, 'photo.bin'), bytes)
    const added = await kiln(dir, 'file', 'add', join(dir, 'photo.bin'))
    expect(added).toEqual({ cid: expect.stringMatching(/^bafy/), size: bytes.length })
    const server = await serve(cleanups, dir)
    const verifiedFetch = await verifiedFetchFrom(server.ready.http)
    cleanups.push(async () => { await verifiedFetch.stop() })
    const res = await verifiedFetch(`ipfs://${added.cid as string}`)
    expect(res.status).toBe(200)
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true)
    expect(await stop(server)).toBe(0)
  }, 60_000)

  it('raw and CAR responses carry the spec headers; every block verifies against its CID', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'f.bin'), bytesOf(2 * MiB + 1))
    const { cid } = await kiln(dir, 'file', 'add', join(dir, 'f.bin'))
    const server = await serve(cleanups, dir)

    const raw = await get(server, `/ipfs/${cid as string}`, { accept: 'application/vnd.ipld.raw' })
    expect(raw.status).toBe(200)
    expect(raw.headers.get('content-type')).toBe('application/vnd.ipld.raw')
    expect(raw.headers.get('content-disposition')).toBe(`attachment; filename="${cid as string}.bin"`)
    expect(raw.headers.get('etag')).toBe(`"${cid as string}.raw"`)
    expect(raw.headers.get('cache-control')).toContain('immutable')
    const root = new Uint8Array(await raw.arrayBuffer())
    expect((await sha256.digest(root)).digest).toEqual(CID.parse(cid).multihash.digest)

    const car = await get(server, `/ipfs/${cid as string}?format=car`)
    expect(car.status).toBe(200)
    expect(car.headers.get('content-type')).toBe('application/vnd.ipld.car; version=1; order=dfs; dups=n')
    const reader = await CarReader.fromBytes(new Uint8Array(await car.arrayBuffer()))
    expect((await reader.getRoots()).map(String)).toEqual([cid])
    const blocks = []
    for await (const block of reader.blocks()) blocks.push(block)
    expect(blocks.map((b) => b.cid.toString())[0]).toBe(cid) // DFS: the root first
    expect(blocks.length).toBe(4) // root + three 1 MiB-or-less raw leaves
    for (const block of blocks) expect((await sha256.digest(block.bytes)).digest).toEqual(block.cid.multihash.digest)

    const scoped = await CarReader.fromBytes(new Uint8Array(await (await get(server, `/ipfs/${cid as string}?format=car&dag-scope=block`)).arrayBuffer()))
    let count = 0
    for await (const _ of scoped.blocks()) count++
    expect(count).toBe(1)

    const head = await get(server, `/ipfs/${cid as string}?format=raw`, {}, 'HEAD')
    expect(head.status).toBe(200)
    expect(head.headers.get('content-length')).toBe(String(root.length))
  }, 60_000)

  it('refuses what it does not serve: no type named, other types, paths, ranges, unknown CIDs, bad CIDs', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'f.bin'), bytesOf(1000))
    const { cid } = await kiln(dir, 'file', 'add', join(dir, 'f.bin'))
    const server = await serve(cleanups, dir)
    const missing = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const cases: Array<[string, Record<string, string>, number, string]> = [
      [`/ipfs/${cid as string}`, {}, 400, 'ERR_NOT_ACCEPTABLE'],
      [`/ipfs/${cid as string}`, { accept: 'text/html' }, 406, 'ERR_NOT_ACCEPTABLE'],
      [`/ipfs/${cid as string}`, { accept: 'application/vnd.ipld.car; version=2' }, 406, 'ERR_NOT_ACCEPTABLE'],
      [`/ipfs/${cid as string}?format=tar`, {}, 400, 'ERR_NOT_ACCEPTABLE'],
      [`/ipfs/${cid as string}/a/b?format=car`, {}, 400, 'ERR_INVALID_INPUT'],
      [`/ipfs/${cid as string}?format=car&entity-bytes=0:10`, {}, 400, 'ERR_INVALID_INPUT'],
      [`/ipfs/${missing}?format=raw`, {}, 404, 'ERR_BLOCK_NOT_FOUND'],
      [`/ipfs/${missing}?format=raw`, { 'cache-control': 'only-if-cached' }, 412, 'ERR_BLOCK_NOT_FOUND'],
      ['/ipfs/not-a-cid?format=raw', {}, 400, 'ERR_INVALID_ID'],
      ['/ipfs/%zz?format=raw', {}, 400, 'ERR_INVALID_ID']
    ]
    for (const [path, headers, status, code] of cases) {
      const res = await get(server, path, headers)
      expect([path, res.status]).toEqual([path, status])
      expect((await res.json()).error.code).toBe(code)
    }
  }, 60_000)

  it('a block damaged on disk is never served: the raw request fails and verified-fetch gets no bytes', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'f.bin'), bytesOf(2 * MiB + 5))
    const { cid } = await kiln(dir, 'file', 'add', join(dir, 'f.bin'))
    // Damage one raw leaf in the blockstore, as a bad disk would.
    const store = new LevelBlockstore(join(dir, 'files'))
    await store.open()
    let leaf: CID | undefined
    const root = CID.parse(cid)
    for await (const pair of store.getAll()) if (!equals(pair.cid.multihash.bytes, root.multihash.bytes)) leaf = CID.decode(pair.cid.bytes)
    await store.put(leaf!, bytesOf(MiB, 99))
    await store.close()
    const server = await serve(cleanups, dir)
    const res = await get(server, `/ipfs/${leaf!.toString()}?format=raw`)
    expect(res.status).toBe(500)
    expect((await res.json()).error.code).toBe('ERR_STORE_CORRUPT')
    const verifiedFetch = await verifiedFetchFrom(server.ready.http)
    cleanups.push(async () => { await verifiedFetch.stop() })
    const whole = await verifiedFetch(`ipfs://${cid as string}`, { signal: AbortSignal.timeout(10_000) }).then(async (r) => await r.arrayBuffer()).then(() => 'bytes', () => 'refused')
    expect(whole).toBe('refused')
  }, 60_000)
})

describe('kiln serve: GET /streams/{id}/content', () => {
  it('serves the current content as JSON, and follows updates', async () => {
    const dir = tempDir()
    await kiln(dir, 'init')
    const created = await kiln(dir, 'create', '--content', '{"name":"Token #1","image":"ipfs://bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"}')
    await kiln(dir, 'update', created.id, '--content', '{"name":"Token #1, revealed"}')
    const server = await serve(cleanups, dir)
    const res = await get(server, `/streams/${created.id as string}/content`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({ name: 'Token #1, revealed' })
    expect((await get(server, '/streams/kjzl6notanid/content')).status).toBe(400)
  }, 60_000)
})
