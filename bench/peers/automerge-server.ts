/**
 * automerge-repo's server side for the sync bench, in its own process as `kiln serve` is: a Repo on
 * NodeFS storage behind its WebSocket server adapter. With `--docs N` it first writes N documents
 * of a create + 4 changes each (16 writers), as bench/sync.ts writes streams. Prints one JSON line
 * when ready: `{"ready":true,"port":…,"urls":"<file with one URL per line>","writeMs":…}`.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Repo, type AutomergeUrl } from '@automerge/automerge-repo'
import { WebSocketServerAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { WebSocketServer } from 'ws'

const { values } = parseArgs({ options: { dir: { type: 'string' }, docs: { type: 'string' } } })
const dir = values.dir as string
const docs = Number(values.docs ?? 0)
const UPDATES = 4
const WRITERS = 16

const writer = new Repo({ storage: new NodeFSStorageAdapter(join(dir, 'automerge')), network: [] })
const urls: AutomergeUrl[] = []
const start = performance.now()
let next = 0
await Promise.all(Array.from({ length: WRITERS }, async () => {
  while (next < docs) {
    const i = next++
    const handle = writer.create<{ n: number, i: number }>({ n: 0, i })
    urls.push(handle.url)
    for (let u = 1; u <= UPDATES; u++) handle.change((doc) => { doc.n = u })
    await writer.flush([handle.documentId])
  }
}))
const writeMs = performance.now() - start
await writer.shutdown()
writeFileSync(join(dir, 'urls.txt'), urls.join('\n'))

// The serving repo reads from the same storage, as a restarted server would. As a sync server it
// answers every request but announces nothing (automerge-repo's own advice for servers).
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
await new Promise((resolve) => wss.once('listening', resolve))
// The adapter types its server with isomorphic-ws's copy of ws's types; the object is the same ws server.
const repo = new Repo({ storage: new NodeFSStorageAdapter(join(dir, 'automerge')), network: [new WebSocketServerAdapter(wss as unknown as ConstructorParameters<typeof WebSocketServerAdapter>[0])], shareConfig: { announce: async () => false, access: async () => true } })
const port = (wss.address() as { port: number }).port
process.stdout.write(JSON.stringify({ ready: true, port, urls: join(dir, 'urls.txt'), writeMs }) + '\n')
process.on('SIGTERM', () => { void repo.shutdown().finally(() => { wss.close(); process.exit(0) }) })
