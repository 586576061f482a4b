import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { bases } from 'multiformats/basics'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createCeramicApi } from '../../src/server/ceramic-api.js'
import { createEventFeed } from '../../src/server/event-feed.js'
import { createHttpApi } from '../../src/server/http-api.js'
import { createDiskStore } from '../../src/store/disk-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { idle, quiet } from '../fixtures/http-server.js'
import { postModel } from '../fixtures/models.js'
import { createRng } from '../fixtures/fuzz.js'

/**
 * A seeded fuzzer for the HTTP API, the ceramic-one routes included: odd methods, mutated ids and
 * CommitIDs, traversal, long and malformed targets, odd headers, mutated event CARs and broken JSON.
 * Every answer must be a status below 500, in time, and nothing stored may change. It prints one
 * line of figures. KILN_FUZZ_RUNS and KILN_FUZZ_SEED reproduce or extend a run.
 */
const RUNS = Number(process.env.KILN_FUZZ_RUNS ?? 3000)
const SEED = Number(process.env.KILN_FUZZ_SEED ?? 20261201)
const CONCURRENCY = 8
const ANSWER_TIMEOUT_MS = 15_000

const root = mkdtempSync(join(tmpdir(), 'kiln-http-fuzz-'))
afterAll(() => { rmSync(root, { recursive: true, force: true }) })


interface Answer { status: number, code?: string }

/** Writes one raw request and reads the status line and body; undefined if no answer came in time. */
async function send (port: number, request: Buffer): Promise<Answer | undefined> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => { socket.end(request) })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => { socket.destroy(); resolve(undefined) }, ANSWER_TIMEOUT_MS)
    socket.on('data', (chunk: Buffer) => { chunks.push(chunk) })
    const done = (): void => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)
      const code = /"code":"([A-Z_]+)"/.exec(text)?.[1]
      resolve(status === 0 ? { status: 0 } : { status, code })
    }
    socket.on('close', done)
    socket.on('error', () => {})
  })
}

it(`answers ${RUNS} hostile requests with no 5xx and no hang, and changes nothing stored`, async () => {
  const node = createStreamNode({ store: await createDiskStore({ path: join(root, 'store') }), signer: await kilnSigner('alice') })
  const model = await node.create({ type: 'model', content: postModel })
  const doc = await node.create({ type: 'MID', model: model.id, content: { title: 'fuzzed', published: 1 } })
  const tile = await node.create({ content: { n: 1 } })
  const updated = await node.update(tile.id, { content: { n: 2 } })
  const car = await node.exportCar(doc.id)
  const feed = createEventFeed(node, join(root, 'feed.json'))
  const ceramic = createCeramicApi({ node, feed, interests: [{}], kilnVersion: 'fuzz', log: quiet })
  const server = createHttpApi({ node, peerId: 'fuzz', multiaddrs: () => [], sync: idle, log: quiet, ceramic })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const before = await node.stats()

  const next = createRng(SEED).next
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]
  const int = (n: number): number => Math.floor(next() * n)
  const mutate = (text: string): string => {
    const chars = [...text]
    for (let i = 0, n = 1 + int(3); i < n && chars.length > 0; i++) {
      const at = int(chars.length)
      const how = int(4)
      if (how === 0) chars[at] = String.fromCharCode(32 + int(95))
      else if (how === 1) chars.splice(at, 1)
      else if (how === 2) chars.splice(at, 0, pick(['%', '/', '..', '?', '#', '\u00e9', '%00', '%zz', '%C0%AF']))
      else chars.length = at
    }
    return chars.join('')
  }
  const ids = [doc.id, tile.id, model.id, updated.commitId, tile.tip, doc.tip, 'kjzl6', '', '0'.repeat(200)]
  const segment = (): string => {
    const base = pick(ids)
    const roll = int(6)
    if (roll === 0) return base
    if (roll === 1) return encodeURIComponent(base)
    if (roll === 2) return mutate(base)
    if (roll === 3) return pick(['..', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%', '%ff%fe', 'a'.repeat(3000 + int(3000))])
    if (roll === 4) return `${base}?commit=${mutate(doc.tip)}`
    return [...Array(1 + int(20))].map(() => `%${int(256).toString(16).padStart(2, '0')}`).join('')
  }
  const target = (): string => {
    const s = segment()
    return pick([
      `/streams/${s}`, `/streams/${s}/car`, `/healthz`, `/healthz/${s}`, `/${s}`, `/streams`, `/streams/`, `//streams//${s}`,
      `/ceramic/events/${s}`, `/ceramic/streams/${s}`, `/ceramic/feed/events?resumeToken=${s}&limit=${pick(['1', '-1', '1e9', 'x', ''])}`,
      `/ceramic/feed/resumeToken`, `/ceramic/interests/${pick(['model', 'x', ''])}/${s}`, `/ceramic/${s}`, `/ceramic/version`,
      `/models/${s}/documents?where=${encodeURIComponent(pick(['{', '{"a":1}', '[]', 'null', `{"title":{"like":1}}`]))}`,
      `http://[`, `*`, mutate(`/streams/${doc.id}`)
    ])
  }
  const body = (): string => pick([
    '', '{', 'null', '[]', '{"data":1}', '{"data":"m"}', `{"data":"${'A'.repeat(int(5000))}"}`,
    `{"data":"${bases.base64.encode(car)}"}`, `{"data":"${mutate(bases.base64.encode(car))}"}`,
    `{"sep":"model","sepValue":"${mutate(model.id)}"}`, '\u0000\u0001\u0002', JSON.stringify({ data: bases.base64.encode(car.slice(0, int(car.length))) })
  ])
  const request = (): Buffer => {
    // Mostly requests Node's parser lets through to the routes; some that it refuses itself.
    const method = next() < 0.9 ? pick(['GET', 'GET', 'GET', 'HEAD', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS']) : pick(['PATCH', 'FOO', 'G ET', ''])
    const payload = method === 'GET' && next() < 0.8 ? '' : body()
    const length = String(Buffer.byteLength(payload, 'latin1'))
    const headers = [`Host: ${pick(['x', '', 'a'.repeat(100)])}`, `Content-Length: ${next() < 0.9 ? length : pick(['-1', 'abc', '99999999'])}`]
    if (next() < 0.2) headers.push(`Content-Type: ${pick(['application/json', 'text/plain', '\u00ff'])}`)
    if (next() < 0.05) headers.push(`X-Big: ${'b'.repeat(20_000 + int(20_000))}`)
    if (next() < 0.1) headers.push(pick(['Transfer-Encoding: chunked', 'Expect: 100-continue', 'Connection: keep-alive, Upgrade', 'Bad Header']))
    return Buffer.from(`${method} ${target()} HTTP/1.1\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n${payload}`, 'latin1')
  }

  const figures = { tried: 0, accepted: 0, refusedTyped: 0, refusedByNode: 0, serverErrors: 0, hangs: 0, noAnswer: 0 }
  const byStatus = new Map<number, number>()
  const failures: string[] = []
  const requests = [...Array(RUNS)].map(request)
  let at = 0
  await Promise.all([...Array(CONCURRENCY)].map(async () => {
    while (at < requests.length) {
      const raw = requests[at++]
      figures.tried++
      const answer = await send(port, raw)
      if (answer == null) { figures.hangs++; failures.push(`hang: ${raw.toString('latin1').slice(0, 120)}`); continue }
      byStatus.set(answer.status, (byStatus.get(answer.status) ?? 0) + 1)
      if (answer.status === 0) { figures.noAnswer++; continue } // Node dropped a request it could not parse
      if (answer.status >= 500) { figures.serverErrors++; failures.push(`${answer.status} ${answer.code ?? ''}: ${raw.toString('latin1').slice(0, 160)}`) } else if (answer.status >= 400) {
        if (answer.code != null) figures.refusedTyped++
        else figures.refusedByNode++
      } else figures.accepted++
    }
  }))

  console.log(`HTTP fuzz (seed ${SEED}): ${figures.tried} requests tried, ${figures.refusedTyped} refused with a typed code, ` +
    `${figures.refusedByNode} refused without a typed body (HEAD answers, Node's parser), ${figures.noAnswer} dropped unanswered, ` +
    `${figures.accepted} accepted, ${figures.serverErrors} 5xx, ${figures.hangs} hangs; by status ${JSON.stringify(Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])))}`)
  expect(failures.map((f) => JSON.stringify(f).slice(0, 300))).toEqual([])
  // Still serving, and nothing stored changed (the valid event posted is one the store held).
  expect((await send(port, Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')))?.status).toBe(200)
  expect(await node.stats()).toEqual(before)
  expect((await node.load(tile.id)).content).toEqual({ n: 2 })
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
  await node.close()
}, 300_000)
