/**
 * The sync bench's workload on automerge-repo, run side by side with Kiln's: a server repo (its own
 * process, NodeFS storage, WebSocket server adapter) and client repos in this process (memory,
 * WebSocket client adapter) on loopback. Automerge neither signs nor verifies changes, and its
 * clients fetch documents only by URL (no query or range reconciliation), so the catch-up here is
 * "fetch these N known documents", strictly less than a Kiln node does.
 */
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { spawnUntilReady, stopChild } from '../children.js'

interface Doc { n: number, i?: number }
export interface AutomergeServer { child: ChildProcess, port: number, urls: AutomergeUrl[], writeMs: number }

const FIND_CONCURRENCY = 64

export async function startAutomergeServer (dir: string, docs: number): Promise<AutomergeServer> {
  const { child, ready } = await spawnUntilReady<{ port: number, urls: string, writeMs: number }>('bench/peers/automerge-server.ts', ['--dir', dir, '--docs', String(docs)], 'the automerge server')
  const urls = readFileSync(ready.urls, 'utf8').split('\n').filter((u) => u !== '') as AutomergeUrl[]
  return { child, port: ready.port, urls, writeMs: ready.writeMs }
}

export async function stopAutomergeServer (server: AutomergeServer): Promise<void> {
  await stopChild(server.child)
}

/** A client repo (memory only) connected to the server: resolves once the server is its peer. */
async function client (port: number): Promise<Repo> {
  const repo = new Repo({ network: [new WebSocketClientAdapter(`ws://127.0.0.1:${port}`)] })
  await repo.networkSubsystem.whenReady()
  while (repo.peers.length === 0) await new Promise((resolve) => setTimeout(resolve, 10))
  return repo
}

/** Finds a document, asking again while the server does not have it yet (it is still arriving). */
async function findWhenThere (repo: Repo, url: AutomergeUrl, timeoutMs: number): Promise<DocHandle<Doc>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await repo.find<Doc>(url)
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}

/**
 * A fresh client fetches every document by URL; resolves with the time (ms) until all hold their
 * last change, or until `timeoutMs` with how many did.
 */
export async function automergeCatchUp (server: AutomergeServer, expectedN: number, timeoutMs: number): Promise<{ ms: number, complete: number }> {
  const repo = await client(server.port)
  const start = performance.now()
  let next = 0
  let complete = 0
  await Promise.all(Array.from({ length: FIND_CONCURRENCY }, async () => {
    while (next < server.urls.length && performance.now() - start < timeoutMs) {
      const handle = await repo.find<Doc>(server.urls[next++])
      if (handle.doc()?.n === expectedN) complete++
    }
  }))
  const ms = performance.now() - start
  await repo.shutdown()
  return { ms, complete }
}

/** Sequential changes on client A, each timed until client B's handle shows it (through the server). */
export async function automergeLatency (server: AutomergeServer, updates: number, timeoutMs: number): Promise<{ latencies: number[], lost: number }> {
  const [a, b] = [await client(server.port), await client(server.port)]
  const source = a.create<Doc>({ n: 0 })
  await a.flush([source.documentId])
  const target = await findWhenThere(b, source.url, timeoutMs)
  const latencies: number[] = []
  let lost = 0
  for (let n = 1; n <= updates; n++) {
    const start = performance.now()
    const seen = new Promise<boolean>((resolve) => {
      const onChange = ({ doc }: { doc: Doc }): void => { if (doc.n === n) { target.off('change', onChange); clearTimeout(timer); resolve(true) } }
      const timer = setTimeout(() => { target.off('change', onChange); resolve(false) }, timeoutMs)
      target.on('change', onChange)
    })
    source.change((doc) => { doc.n = n })
    if (await seen) latencies.push(performance.now() - start)
    else lost++
  }
  await a.shutdown()
  await b.shutdown()
  return { latencies, lost }
}
