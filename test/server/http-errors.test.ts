import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { AnchorUnavailableError, StoreFullError } from '../../src/errors.js'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createHttpApi } from '../../src/server/http-api.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { kilnSigner } from '../fixtures/identities.js'
import { idle, quiet } from '../fixtures/http-server.js'

const stopped: Array<() => Promise<void>> = []
afterEach(async () => { for (const stop of stopped.splice(0)) await stop() })


/** Kiln's HTTP API over `node` on a loopback port. */
async function listen (node: StreamNode): Promise<string> {
  const server = createHttpApi({ node, peerId: 'test', multiaddrs: () => [], sync: idle, log: quiet })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  stopped.push(async () => { await new Promise((resolve) => server.close(resolve)) })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Sends `head` as the request's first line and headers, as a hostile client may; resolves with the status line. */
async function rawStatus (base: string, head: string): Promise<string> {
  const { hostname, port } = new URL(base)
  return await new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => { socket.write(`${head}\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`) })
    let answer = ''
    socket.on('data', (chunk) => { answer += chunk.toString() })
    socket.on('end', () => { resolve(answer.split('\r\n')[0]) })
    socket.on('error', reject)
  })
}

describe('HTTP API errors', () => {
  it('bad escapes, bad URLs and unknown commits are client errors with typed codes, never a 500; nothing stored changes', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const held = await node.create({ content: { n: 1 } })
    const other = await node.create({ content: { n: 2 } })
    const base = await listen(node)
    const get = async (path: string): Promise<{ status: number, code?: string }> => {
      const res = await fetch(base + path)
      const body = await res.json() as { error?: { code: string } }
      return { status: res.status, code: body.error?.code }
    }
    for (const path of ['/streams/%zz', '/streams/%', '/streams/%C0%AF', '/streams/%ED%A0%80']) {
      expect(await get(path), path).toEqual({ status: 400, code: 'ERR_INVALID_ID' })
    }
    expect(await get('/streams/not-an-id')).toEqual({ status: 400, code: 'ERR_INVALID_ID' })
    expect(await get(`/streams/${encodeURIComponent(held.id)}x`)).toMatchObject({ status: 400 })
    // A CommitID of a held stream at a commit this node does not have: not found.
    const unknownCommit = `${held.id}?commit=bagcqceraplay4erv6l32qrki522uhiz7rf46xccwniw7ypmvs3cvu2b3oulq`
    expect(await get(`/streams/${encodeURIComponent(unknownCommit)}`)).toMatchObject({ status: 404 })
    // A CommitID of one stream at another stream's commit: the request is wrong.
    expect(await get(`/streams/${encodeURIComponent(`${held.id}?commit=${other.tip}`)}`)).toMatchObject({ status: 400, code: 'ERR_COMMIT_LINK' })
    expect(await rawStatus(base, 'GET http://[ HTTP/1.1')).toMatch(/^HTTP\/1\.1 400/)
    expect(await get(`/streams/${held.id}`)).toMatchObject({ status: 200 })
    expect((await node.load(held.id)).content).toEqual({ n: 1 })
    expect((await node.stats()).streams).toBe(2)
  })

  it('a full store is a 503 with Retry-After, not a 500', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const held = await node.create({ content: { n: 1 } })
    const full: StreamNode = { ...node, load: async () => { throw new StoreFullError() } }
    const res = await fetch(`${await listen(full)}/streams/${held.id}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_STORE_FULL' } })
  })

  it('an anchor proof the server cannot check now is a 503 with Retry-After, not a 500', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const held = await node.create({ content: { n: 1 } })
    const chainDown: StreamNode = { ...node, load: async () => { throw new AnchorUnavailableError('The chain RPC did not answer') } }
    const res = await fetch(`${await listen(chainDown)}/streams/${held.id}`)
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('5')
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_ANCHOR_UNAVAILABLE' } })
  })
})

describe('HTTP limits', () => {
  /** A server with small limits, so a test can reach them quickly. */
  async function limited (limits: Parameters<typeof createHttpApi>[0]['limits']): Promise<{ base: string, port: number }> {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const server = createHttpApi({ node, peerId: 'test', multiaddrs: () => [], sync: idle, log: quiet, limits })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    stopped.push(async () => { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)) })
    const port = (server.address() as AddressInfo).port
    return { base: `http://127.0.0.1:${port}`, port }
  }

  /** Opens a socket, writes `data` (if any), and resolves with what came back once the server closed it. */
  async function heldOpen (port: number, data?: string): Promise<{ answer: string, closedAfterMs: number }> {
    const started = Date.now()
    return await new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => { if (data != null) socket.write(data) })
      let answer = ''
      socket.on('data', (chunk) => { answer += chunk.toString() })
      socket.on('close', () => { resolve({ answer, closedAfterMs: Date.now() - started }) })
      socket.on('error', reject)
    })
  }

  it('headers past the size limit get 431, and the server goes on serving', async () => {
    const { base } = await limited({ maxHeaderBytes: 2048 })
    expect(await rawStatus(base, `GET /healthz HTTP/1.1\r\nX-Big: ${'a'.repeat(4096)}`)).toMatch(/^HTTP\/1\.1 431/)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('a client that sends its headers too slowly is answered 408 and let go', async () => {
    const { port, base } = await limited({ headersTimeoutMs: 400, requestTimeoutMs: 400 })
    // Half a request line, then nothing: a slowloris client.
    const { answer, closedAfterMs } = await heldOpen(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n')
    expect(answer).toMatch(/^HTTP\/1\.1 408/)
    expect(closedAfterMs).toBeLessThan(5_000)
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })

  it('connections past the limit are closed on arrival; the ones within it are served', async () => {
    const { port, base } = await limited({ maxConnections: 2, headersTimeoutMs: 3_000, requestTimeoutMs: 3_000 })
    const sockets = await Promise.all([0, 1].map(async () => await new Promise<ReturnType<typeof connect>>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { resolve(socket) })
    })))
    const third = await heldOpen(port)
    expect(third.answer).toBe('')
    expect(third.closedAfterMs).toBeLessThan(1_000)
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
  })
})
