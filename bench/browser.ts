/**
 * The browser benchmark: Kiln in Debian's Chromium (SharedWorker + IndexedDB), automerge-repo on
 * IndexedDB and OrbitDB 4's Documents store (in the page, helia on IndexedDB) side by side. Starts
 * its own vite server; run: npm run bench
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { createServer } from 'vite'
import config from '../playwright.config.js'
import { COMPARISON_HEADER, comparisonRow, ratio } from './columns.js'
import { GOALS, atLeast, atMost } from './goals.js'
import { DEFAULT_SIZES, type WorkloadFigures } from './node-workload.js'
import { DIFFERENCES } from './peers/orbitdb-facts.js'

const PORT = Number(process.env.BENCH_PORT ?? 5199)
const sizes = { ...DEFAULT_SIZES, total: Number(process.env.BENCH_STREAMS ?? DEFAULT_SIZES.total) }
/** The batch figure: this many creates, in writeMany calls of the most one call takes. */
const BATCH = Number(process.env.BENCH_BATCH ?? 10_000)
const BATCH_CALL = 1000
/** BENCH_PEERS=0 runs Kiln alone (a quick check of Kiln's own figures; no ratios). */
const WITH_PEERS = process.env.BENCH_PEERS !== '0'
// automerge's wasm fails to initialise once vite pre-bundles it (a WebAssembly.Exception), so it is
// served as is.
const server = await createServer({
  server: { port: PORT, strictPort: true, host: '127.0.0.1' },
  logLevel: 'error',
  optimizeDeps: { entries: ['bench/pages/*.html'], exclude: ['@automerge/automerge'] }
})
await server.listen()
const profile = mkdtempSync(join(tmpdir(), 'kiln-bench-profile-'))
const context = await chromium.launchPersistentContext(profile, { ...config.use?.launchOptions, baseURL: `http://127.0.0.1:${PORT}` })
try {
  const url = '/bench/pages/bench.html'
  let page = await context.newPage()
  await page.goto(url)
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready')
  const kiln = await page.evaluate(async (s) => await window.bench.kiln(s), sizes) as any
  const automerge = WITH_PEERS ? await page.evaluate(async (s) => await window.bench.automerge(s), sizes) as any : undefined
  const orbit = WITH_PEERS ? await page.evaluate(async (s) => await window.bench.orbitdb(s), sizes) as WorkloadFigures : undefined
  const batch = await page.evaluate(async (b) => await window.bench.kilnBatch(b), { count: BATCH, perCall: BATCH_CALL })
  await page.close()
  // Every page closed: the SharedWorker stops; the next page starts it on the full store.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  page = await context.newPage()
  await page.goto(url)
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready')
  const reopen = await page.evaluate(async () => await window.bench.reopen()) as any

  console.log(`\nChromium ${context.browser()?.version() ?? ''} (persistent profile), SharedWorker + IndexedDB, ${reopen.streams} streams at the end`)
  console.log(COMPARISON_HEADER)
  console.log(comparisonRow('creates/s', kiln.createsPerSec, automerge?.createsPerSec, orbit?.createsPerSec))
  console.log(comparisonRow('updates/s', kiln.updatesPerSec, automerge?.updatesPerSec, orbit?.updatesPerSec))
  console.log(comparisonRow('loads/s', kiln.loadsPerSec, automerge?.loadsPerSec, orbit?.loadsPerSec))
  console.log(comparisonRow('creates/s, 16 at once', kiln.fillPerSec, undefined, orbit?.fillPerSec))
  console.log(`  16 at once: ${atLeast(kiln.fillPerSec, GOALS.chromiumWritersPerSec)}`)
  console.log(`  a batch of ${BATCH.toLocaleString('en-US')} creates in writeMany calls of ${BATCH_CALL} (own database): ${batch.perSec.toLocaleString('en-US')} creates/s, ${(batch.perSec / kiln.createsPerSec).toFixed(2)}x one by one; ${atLeast(batch.perSec, GOALS.chromiumBatchPerSec)}`)
  // A time: the ratio is OrbitDB's time over Kiln's (above 1: Kiln is faster).
  const ms = (n: number): string => `${n.toFixed(1)} ms`
  const orbitQuery = orbit == null ? '' : `; OrbitDB query(fn): ${ms(orbit.queryMs)} (${orbit.queryItems} items), ${ratio(orbit.queryMs, kiln.queryMs)} Kiln's time`
  console.log(`  query (family, first 100) over ${sizes.total} streams: ${ms(kiln.queryMs)} (${kiln.queryItems} items)${orbitQuery}`)
  console.log(`  open a store of ${reopen.streams} streams (worker start + IndexedDB open + first query): ${reopen.openMs.toFixed(0)} ms`)
  console.log(`  page -> worker latency, load:   p50 ${kiln.latency.load.p50} ms, p99 ${kiln.latency.load.p99} ms`)
  console.log(`  page -> worker latency, update: p50 ${kiln.latency.update.p50} ms, p99 ${kiln.latency.update.p99} ms (p50 ${atMost(kiln.latency.update.p50, GOALS.chromiumUpdateP50Ms)})`)
  if (WITH_PEERS) {
    console.log('  OrbitDB runs in the page itself (no worker), its loads on a reopened database (no cached entries).')
    for (const line of DIFFERENCES) console.log(`  ${line}`)
  }
} finally {
  await context.close()
  await server.close()
}
