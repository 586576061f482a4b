/**
 * The browser benchmark: Kiln in Debian's Chromium (SharedWorker + IndexedDB) and automerge-repo
 * on IndexedDB side by side. Starts its own vite server; run: npm run bench
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { createServer } from 'vite'
import config from '../playwright.config.js'
import { DEFAULT_SIZES } from './node-workload.js'

const PORT = Number(process.env.BENCH_PORT ?? 5199)
const sizes = { ...DEFAULT_SIZES, total: Number(process.env.BENCH_STREAMS ?? DEFAULT_SIZES.total) }
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
  const automerge = await page.evaluate(async (s) => await window.bench.automerge(s), sizes) as any
  await page.close()
  // Every page closed: the SharedWorker stops; the next page starts it on the full store.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  page = await context.newPage()
  await page.goto(url)
  await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready')
  const reopen = await page.evaluate(async () => await window.bench.reopen()) as any

  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`
  const pad = (n: number): string => n.toLocaleString('en-US').padStart(22)
  console.log(`\nChromium ${context.browser()?.version() ?? ''} (persistent profile), SharedWorker + IndexedDB, ${reopen.streams} streams at the end`)
  console.log('                      kiln (signed, verified)   automerge-repo (unsigned)   kiln/automerge')
  console.log(`  creates/s           ${pad(kiln.createsPerSec)}   ${pad(automerge.createsPerSec)}   ${ratio(kiln.createsPerSec, automerge.createsPerSec)}`)
  console.log(`  updates/s           ${pad(kiln.updatesPerSec)}   ${pad(automerge.updatesPerSec)}   ${ratio(kiln.updatesPerSec, automerge.updatesPerSec)}`)
  console.log(`  loads/s             ${pad(kiln.loadsPerSec)}   ${pad(automerge.loadsPerSec)}   ${ratio(kiln.loadsPerSec, automerge.loadsPerSec)}`)
  console.log(`  creates/s, 16 writers at once: ${kiln.fillPerSec}`)
  console.log(`  query (family, first 100) over ${sizes.total} streams: ${kiln.queryMs.toFixed(1)} ms (${kiln.queryItems} items)`)
  console.log(`  open a store of ${reopen.streams} streams (worker start + IndexedDB open + first query): ${reopen.openMs.toFixed(0)} ms`)
  console.log(`  page -> worker latency, load:   p50 ${kiln.latency.load.p50} ms, p99 ${kiln.latency.load.p99} ms`)
  console.log(`  page -> worker latency, update: p50 ${kiln.latency.update.p50} ms, p99 ${kiln.latency.update.p99} ms`)
} finally {
  await context.close()
  await server.close()
}
