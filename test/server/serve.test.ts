import { afterEach, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { generate } from 'selfsigned'
import { createStreamNode } from '../../src/node/stream-node.js'
import { serveOptions } from '../../src/server/serve-command.js'
import { createDiskStore } from '../../src/store/disk-store.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { DEFAULT_TOPIC } from '../../src/sync/constants.js'
import { kilnSigner } from '../fixtures/identities.js'
import { commentModel, postModel } from '../fixtures/models.js'
import { type TestPeer, startPeer, waitFor } from '../sync/peers.js'
import { type Server, get, serve as startServe, stop, tempDir } from './kiln-serve.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

const serve = async (dir: string, args: string[] = [], env: Record<string, string> = {}, node = process.execPath): Promise<Server> =>
  await startServe(cleanups, dir, args, env, node)

async function client (name: string): Promise<TestPeer> {
  const peer = await startPeer(name, { listen: false })
  cleanups.push(peer.stop)
  return peer
}

/** Dials a server and waits until it is a sync peer that hears this node's announcements. */
async function dialServer (peer: TestPeer, server: Server): Promise<void> {
  await peer.libp2p.dial(multiaddr(server.ready.multiaddrs[0]))
  await waitFor(() => peer.sync.status().peers.some((p) => p.id === server.ready.peerId) &&
    peer.libp2p.services.pubsub.getSubscribers(DEFAULT_TOPIC).some((p) => p.toString() === server.ready.peerId), 'the server to be a sync peer and a gossip subscriber')
}

/** Once `entry` and `other` are connected, a node's write to `entry` reaches `other`. */
async function expectRelayed (entry: Server, other: Server): Promise<void> {
  await waitFor(async () => (await get(other, '/healthz')).body.peers.some((p: { id: string }) => p.id === entry.ready.peerId), 'the servers to connect')
  const bob = await client('bob')
  await dialServer(bob, entry)
  const created = await bob.node.create({ content: { via: entry.ready.peerId } })
  await waitFor(async () => (await get(other, `/streams/${created.id}`)).status === 200, 'the stream to reach the other server')
}

describe('kiln serve', () => {
  it('serves health and streams over HTTP, syncs with a dialing node, keeps its data and identity across restarts, and exits cleanly on SIGTERM', async () => {
    const dir = tempDir()
    const first = await serve(dir)
    expect(first.ready.multiaddrs[0]).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo/)
    const health = await get(first, '/healthz')
    expect(health).toMatchObject({ status: 200, body: { ok: true, peerId: first.ready.peerId, peers: [], streams: 0 } })

    const alice = await client('alice')
    await dialServer(alice, first)
    await waitFor(async () => (await get(first, '/healthz')).body.peers.length === 1, 'the server to list alice as a peer')
    const created = await alice.node.create({ content: { hello: 'server' } })
    await waitFor(async () => (await get(first, `/streams/${created.id}`)).status === 200, 'the stream to reach the server')
    expect((await get(first, `/streams/${created.id}`)).body).toMatchObject({ id: created.id, tip: created.tip, content: { hello: 'server' } })
    const car = await get(first, `/streams/${created.id}/car`)
    expect(car.status).toBe(200)
    const reader = createStreamNode({ store: createMemoryStore() })
    expect((await reader.importCar(car.body as Uint8Array)).content).toEqual({ hello: 'server' })
    expect(await get(first, '/streams/not-a-stream')).toMatchObject({ status: 400, body: { error: { code: 'ERR_INVALID_ID' } } })
    expect((await get(first, '/streams/kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa')).status).toBe(404)

    expect(await stop(first)).toBe(0)
    expect(first.stdout.map((l) => JSON.parse(l))).toContainEqual({ stopped: true, signal: 'SIGTERM' })

    const again = await serve(dir)
    expect(again.ready.peerId).toBe(first.ready.peerId)
    expect((await get(again, `/streams/${created.id}`)).body).toMatchObject({ tip: created.tip, content: { hello: 'server' } })
    // Its Recon index is loaded from the keys it kept: the one commit, and how long loading took.
    await waitFor(async () => (await get(again, '/healthz')).body.sync.reconIndex?.loadedInMs != null, 'the Recon index to load')
    expect((await get(again, '/healthz')).body.sync.reconIndex).toMatchObject({ keys: 1, loadedInMs: expect.any(Number) })
    expect(await stop(again)).toBe(0)
  }, 60_000)

  it('a second server bootstraps from the first (KILN_BOOTSTRAP) and gets what a node writes to the first', async () => {
    const one = await serve(tempDir())
    const two = await serve(tempDir(), [], { KILN_BOOTSTRAP: one.ready.multiaddrs[0] })
    await expectRelayed(one, two)
  }, 60_000)

  it('starts from the machine\'s older Node, and a second server there dials the first (node20-builtins.ts fills what Node 20 lacks)', async () => {
    const old = olderNode()
    if (old == null) return // no Node < 22 on this machine: nothing to prove
    const server = await serve(tempDir(), [], {}, old)
    expect((await get(server, '/healthz')).body.ok).toBe(true)
    const second = await serve(tempDir(), [], { KILN_BOOTSTRAP: server.ready.multiaddrs[0] }, old)
    await expectRelayed(server, second)
    expect(await stop(server)).toBe(0)
  }, 60_000)

  it('refuses a bad port with a typed error and a non-zero exit', async () => {
    await expect(serve(tempDir(), ['--port', 'abc'])).rejects.toThrow(/ERR_INVALID_INPUT/)
  })

  it('listens on secure WebSockets with a certificate; a second server bootstraps over wss from a config file', async () => {
    const dir = tempDir()
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }]
    })
    writeFileSync(join(dir, 'cert.pem'), pems.cert)
    writeFileSync(join(dir, 'key.pem'), pems.private)
    const one = await serve(tempDir(), ['--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem'), '--tls-port', '0'])
    const secure = one.ready.multiaddrs.find((addr) => addr.includes('/tls/ws/'))
    expect(secure).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/tls\/ws\/p2p\/12D3Koo/)
    expect(one.ready.multiaddrs.some((addr) => /\/tcp\/\d+\/ws\/p2p\//.test(addr))).toBe(true)

    // The second server trusts the self-signed certificate as Node trusts any private CA.
    writeFileSync(join(dir, 'two.json'), JSON.stringify({ bootstrap: [secure], topic: '/kiln/dev' }))
    const two = await serve(tempDir(), ['--config', join(dir, 'two.json')], { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') })
    await expectRelayed(two, one)
  }, 60_000)

  it('declares --index at start over the documents it already holds, relation fields without one, and answers Model queries over HTTP', async () => {
    const dir = tempDir()
    const writer = createStreamNode({ store: await createDiskStore({ path: join(dir, 'store') }), signer: await kilnSigner('alice') })
    const posts = await writer.create({ type: 'model', content: postModel })
    const comments = await writer.create({ type: 'model', content: commentModel(posts.id) })
    const post = async (title: string, published: number, lang: string): Promise<string> =>
      (await writer.create({ type: 'MID', model: posts.id, content: { title, published, meta: { lang } } })).id
    const one = await post('one', 3, 'en')
    const two = await post('two', 1, 'de')
    await post('three', 2, 'en')
    await writer.create({ type: 'MID', model: comments.id, content: { postID: one, text: 'first!' } })
    await writer.create({ type: 'MID', model: comments.id, content: { postID: two, text: 'hello' } })
    await writer.close()

    const server = await serve(dir, ['--index', `${posts.id}:meta.lang+published`, '--index', `${posts.id}:published`])
    const titles = async (model: string, where: unknown, sort?: unknown): Promise<unknown> => {
      const sorted = sort == null ? '' : `&sort=${encodeURIComponent(JSON.stringify(sort))}`
      const { status, body } = await get(server, `/models/${model}/documents?where=${encodeURIComponent(JSON.stringify(where))}${sorted}`)
      expect(status, JSON.stringify(body)).toBe(200)
      return body.items.map((s: { content: { title?: string, text?: string } }) => s.content.title ?? s.content.text)
    }
    expect(await titles(posts.id, { 'meta.lang': 'en' }, { published: 'desc' })).toEqual(['one', 'three'])
    expect(await titles(posts.id, { published: { lessThan: 3 } }, { published: 'asc' })).toEqual(['two', 'three'])
    expect((await get(server, `/models/${posts.id}/count?where=${encodeURIComponent('{"published":{"greaterThan":1}}')}`)).body).toEqual({ count: 2 })
    expect(await titles(comments.id, { postID: one })).toEqual(['first!'])
    expect((await get(server, `/models/${posts.id}/indexes`)).body).toEqual(expect.arrayContaining([
      expect.objectContaining({ fields: ['meta.lang', 'published'], state: 'ready' }),
      expect.objectContaining({ fields: ['published'], state: 'ready' })
    ]))
    expect((await get(server, `/models/${comments.id}/indexes`)).body).toEqual([expect.objectContaining({ fields: ['postID'], relation: true, state: 'ready' })])
    // No index holds `title`: refused by name, not scanned.
    expect((await get(server, `/models/${posts.id}/documents?where=${encodeURIComponent('{"title":"one"}')}`))).toMatchObject({ status: 400, body: { error: { code: 'ERR_NOT_INDEXED' } } })
    expect(await stop(server)).toBe(0)

    await expect(serve(tempDir(), ['--index', 'nonsense'])).rejects.toThrow(/ERR_INVALID_INPUT.*<modelId>:<field>/)
    // The same parsing, in process: the flag, KILN_INDEX and a config file's "index" list.
    expect(serveOptions({ index: [`${posts.id}:meta.lang+published`] }, {}).indexes).toEqual([{ model: posts.id, fields: ['meta.lang', 'published'] }])
    expect(serveOptions({}, { KILN_INDEX: `${posts.id}:published, ${comments.id}:text` }).indexes).toEqual([{ model: posts.id, fields: ['published'] }, { model: comments.id, fields: ['text'] }])
    writeFileSync(join(dir, 'kiln.json'), JSON.stringify({ index: [`${posts.id}:title`] }))
    expect(serveOptions({ config: join(dir, 'kiln.json') }, {}).indexes).toEqual([{ model: posts.id, fields: ['title'] }])
    for (const [spec, code] of [[`${posts.id}:`, 'ERR_INVALID_INPUT'], [`${posts.id}:a++b`, 'ERR_INVALID_INPUT'], [`${one}:title`, 'ERR_INVALID_ID'], ['kjzl:title', 'ERR_INVALID_ID']]) {
      expect(() => serveOptions({ index: [spec] }, {}), spec).toThrow(expect.objectContaining({ code }))
    }
  }, 60_000)

  it('refuses a config file with an unknown key, and a wss address without a certificate, with typed errors', async () => {
    const dir = tempDir()
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ prot: 4010 }))
    await expect(serve(tempDir(), ['--config', join(dir, 'bad.json')])).rejects.toThrow(/ERR_INVALID_INPUT.*Unknown key \\"prot\\"/)
    await expect(serve(tempDir(), ['--listen', '/ip4/127.0.0.1/tcp/0/tls/ws'])).rejects.toThrow(/ERR_INVALID_INPUT.*--tls-cert/)
  })
})

/** The first `node` on PATH outside node_modules whose major version is below 22 (the system's). */
function olderNode (): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const bin = join(dir, 'node')
    if (dir.includes('node_modules') || !existsSync(bin)) continue
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
    if (Number(version.slice(1).split('.')[0]) < 22) return bin
  }
  return undefined
}
