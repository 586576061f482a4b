/**
 * Private documents against public ones, on Node through StreamNodes on memory stores, the author
 * and one reader: an update (seal, sign, verify, store), the reader taking each commit as from a
 * peer (verify, and check that it decrypts), and the reader's load of the tip (decrypt); then sharing one document to 100 readers (each with a published key) and
 * one update of it afterwards. Run: node --import tsx bench/private.ts (BENCH_PRIVATE_COMMITS, BENCH_READERS)
 */
// Kiln in Node as kiln/node runs it: Ed25519 on node:crypto.
import '../src/identity/ed25519-node.js'
import { createStreamNode, type StreamNode } from '../src/node/stream-node.js'
import { createDidKeySigner } from '../src/identity/signer.js'
import { encryptionKeyFromSeed } from '../src/identity/encryption-key.js'
import { createMemoryStore } from '../src/store/memory-store.js'

const COMMITS = Number(process.env.BENCH_PRIVATE_COMMITS ?? 300)
const READERS = Number(process.env.BENCH_READERS ?? 100)

const seed = (n: number, salt: number): Uint8Array => new Uint8Array(32).map((_, i) => (n * 31 + i * 7 + salt) & 0xff)

async function device (n: number): Promise<StreamNode> {
  return createStreamNode({ store: createMemoryStore(), signer: await createDidKeySigner(seed(n, 1)), encryptionKey: await encryptionKeyFromSeed(seed(n, 2)) })
}

async function time (fn: () => Promise<void>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

const perCommit = (ms: number, count: number): string => `${(ms / count).toFixed(3)} ms (${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s)`

const author = await device(0)
const reader = await device(1)
await author.importCar(await reader.exportCar((await reader.publishEncryptionKey()).id))

const LOADS = COMMITS
const results: Record<string, { write: number, ingest: number, read: number }> = {}
for (const kind of ['public', 'private'] as const) {
  const options = kind === 'private' ? { private: { readers: [reader.controller as string] } } : {}
  const note = await author.create({ content: { n: 0, text: 'x'.repeat(200) }, ...options })
  const write = await time(async () => {
    for (let i = 1; i <= COMMITS; i++) await author.update(note.id, { content: { n: i, text: 'x'.repeat(200) } })
  })
  // The reader takes every commit as from a peer (verified; a private one checked to decrypt), then loads the tip.
  const car = await author.exportCar(note.id)
  const ingest = await time(async () => { await reader.importCar(car) })
  const read = await time(async () => { for (let i = 0; i < LOADS; i++) await reader.load(note.id) })
  results[kind] = { write, ingest, read }
  console.log(`${kind.padEnd(7)} update ${perCommit(write, COMMITS)} · reader takes a commit ${perCommit(ingest, COMMITS + 1)} · reader loads ${perCommit(read, LOADS)}`)
}
const ratio = (k: 'write' | 'ingest' | 'read'): string => (results.private[k] / results.public[k]).toFixed(2)
console.log(`private/public time: update ${ratio('write')}x, taking commits ${ratio('ingest')}x, loads ${ratio('read')}x`)

// Sharing to many readers: each has published a key the author holds.
const readers: StreamNode[] = []
for (let i = 0; i < READERS; i++) {
  const r = createStreamNode({ store: createMemoryStore(), signer: await createDidKeySigner(seed(100 + i, 1)), encryptionKey: await encryptionKeyFromSeed(seed(100 + i, 2)) })
  await author.importCar(await r.exportCar((await r.publishEncryptionKey()).id))
  readers.push(r)
}
const shared = await author.create({ content: { text: 'for many' }, private: { readers: [] } })
const shareMs = await time(async () => { await author.share(shared.id, { add: readers.map((r) => r.controller as string) }) })
const updateMs = await time(async () => { await author.update(shared.id, { content: { text: 'for many, edited' } }) })
const removeMs = await time(async () => { await author.share(shared.id, { remove: [readers[0].controller as string] }) })
console.log(`share to ${READERS} readers: ${shareMs.toFixed(1)} ms; an update after it: ${updateMs.toFixed(1)} ms; removing one (new key for ${READERS - 1}): ${removeMs.toFixed(1)} ms`)
