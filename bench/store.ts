/**
 * Node with the disk store (LevelDB): creates, updates, loads (sign + verify + persist), a query over
 * 10,000 streams, and the time to open a store holding 10,000 streams; automerge-repo on its
 * NodeFS storage and OrbitDB 4's Documents store (helia on LevelDB) side by side. Run: npm run bench
 */
// Kiln in Node as kiln/node runs it: Ed25519 on node:crypto.
import '../src/identity/ed25519-node.js'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { createDidKeySigner } from '../src/identity/signer.js'
import { createStreamNode } from '../src/node/stream-node.js'
import { createDiskStore } from '../src/store/disk-store.js'
import { COMPARISON_HEADER, comparisonRow, ratio } from './columns.js'
import { DEFAULT_SIZES, runWorkload } from './node-workload.js'
import { runAutomerge } from './peers/automerge.js'
import { runOrbitDBWorkload } from './peers/orbitdb-workload.js'
import { DIFFERENCES } from './peers/orbitdb-facts.js'

const sizes = { ...DEFAULT_SIZES, total: Number(process.env.BENCH_STREAMS ?? DEFAULT_SIZES.total) }
const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-'))
const signer = await createDidKeySigner(new Uint8Array(32).fill(3))

const node = createStreamNode({ store: await createDiskStore({ path: join(dir, 'kiln') }), signer })
const kiln = await runWorkload(node, sizes)
await node.close()

let t = performance.now()
const reopened = createStreamNode({ store: await createDiskStore({ path: join(dir, 'kiln') }), signer })
const firstPage = await reopened.query({ family: 'f3' }, { limit: 10 })
const openMs = performance.now() - t
t = performance.now()
const stats = await reopened.stats()
const statsMs = performance.now() - t
// Cold loads: a fresh node reads each stream from disk for the first time (as automerge's fresh repo does).
const coldIds: string[] = []
for (let cursor: string | undefined, i = 0; coldIds.length < sizes.loads && i < 100; i++) {
  const page = await reopened.query({}, { limit: 1000, cursor })
  coldIds.push(...page.items.map((s) => s.id))
  cursor = page.cursor
  if (cursor == null) break
}
const coldStore = createStreamNode({ store: await (async () => { await reopened.close(); return await createDiskStore({ path: join(dir, 'kiln') }) })(), signer })
t = performance.now()
for (const id of coldIds) await coldStore.load(id)
const coldLoadsPerSec = Math.round(coldIds.length / ((performance.now() - t) / 1000))
await coldStore.close()

const automerge = await runAutomerge(() => new NodeFSStorageAdapter(join(dir, 'automerge')), sizes)
const orbit = await runOrbitDBWorkload(join(dir, 'orbitdb'), sizes)

const ms = (n: number): string => `${n.toFixed(1)} ms`
console.log(`\nNode ${process.version}, disk store (LevelDB), ${stats.streams} streams at the end`)
console.log(COMPARISON_HEADER)
console.log(comparisonRow('creates/s', kiln.createsPerSec, automerge.createsPerSec, orbit.createsPerSec))
console.log(comparisonRow('updates/s', kiln.updatesPerSec, automerge.updatesPerSec, orbit.updatesPerSec))
console.log(comparisonRow('loads/s, cold', coldLoadsPerSec, automerge.loadsPerSec, orbit.loadsPerSec))
console.log(comparisonRow('creates/s, 16 at once', kiln.fillPerSec, undefined, orbit.fillPerSec))
console.log(`  loads/s, warm (recent streams cached in the node): ${kiln.loadsPerSec.toLocaleString('en-US')}`)
// A time: the ratio is OrbitDB's time over Kiln's (above 1: Kiln is faster).
console.log(`  query (family, first 100 of ${sizes.total / 20}) over ${sizes.total} streams: ${ms(kiln.queryMs)} (${kiln.queryItems} items); OrbitDB query(fn): ${ms(orbit.queryMs)} (${orbit.queryItems} items), ${ratio(orbit.queryMs, kiln.queryMs)} Kiln's time`)
console.log(`  open a store of ${stats.streams} streams + first query: ${openMs.toFixed(0)} ms (${firstPage.items.length} items); stats: ${statsMs.toFixed(1)} ms`)
for (const line of DIFFERENCES) console.log(`  ${line}`)
