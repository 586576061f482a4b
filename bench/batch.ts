/**
 * Batch writes in Node on the disk store (LevelDB): N creates one call after another, the same N
 * from 16 writers at once, and the same N in writeMany calls of 500 (one store transaction each,
 * signatures concurrent). Every commit is signed and verified in all three. Run: npm run bench
 */
// Kiln in Node as kiln/node runs it: Ed25519 on node:crypto.
import '../src/identity/ed25519-node.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDidKeySigner } from '../src/identity/signer.js'
import { createStreamNode, type StreamNode } from '../src/node/stream-node.js'
import { createDiskStore } from '../src/store/disk-store.js'

const N = Number(process.env.BENCH_BATCH ?? 5000)
const CALL_SIZE = 500
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-batch-'))
const signer = await createDidKeySigner(new Uint8Array(32).fill(5))
const content = (i: number): { title: string, n: number } => ({ title: `doc ${i}`, n: i })

async function timed (name: string, run: (node: StreamNode) => Promise<void>): Promise<number> {
  const node = createStreamNode({ store: await createDiskStore({ path: join(dir, name) }), signer })
  const started = performance.now()
  await run(node)
  const perSecond = N / ((performance.now() - started) / 1000)
  if ((await node.stats()).streams !== N) throw new Error(`${name}: ${(await node.stats()).streams} streams, not ${N}`)
  await node.close()
  return perSecond
}

const oneByOne = await timed('one-by-one', async (node) => { for (let i = 0; i < N; i++) await node.create({ content: content(i) }) })
const writers = await timed('writers', async (node) => {
  let next = 0
  await Promise.all([...Array(16)].map(async () => { while (next < N) await node.create({ content: content(next++) }) }))
})
const batched = await timed('write-many', async (node) => {
  for (let from = 0; from < N; from += CALL_SIZE) {
    await node.writeMany([...Array(Math.min(CALL_SIZE, N - from)).keys()].map((i) => ({ create: { content: content(from + i) } })))
  }
})

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8)
console.log(`\nBatch writes, Node ${process.version}, disk store, ${N} creates (signed, verified, stored)`)
console.log(`  one call after another     ${fmt(oneByOne)} creates/s`)
console.log(`  16 writers at once         ${fmt(writers)} creates/s   ${(writers / oneByOne).toFixed(2)}x`)
console.log(`  writeMany, ${CALL_SIZE} per call     ${fmt(batched)} creates/s   ${(batched / oneByOne).toFixed(2)}x`)
