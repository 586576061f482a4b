/**
 * The Models query bench: Kiln's field indexes in Debian's Chromium (page → SharedWorker →
 * IndexedDB) and OrbitDB 4's Documents store in the same browser, over the same Posts (default
 * 100,000 for Kiln, BENCH_DOCS to change; OrbitDB see ORBIT_N) and Comments. Each runs on its own
 * origin (127.0.0.1 and localhost), so each storage figure is its own. Starts its own vite
 * server; run: npm run bench
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from '@playwright/test'
import { createServer } from 'vite'
import config from '../playwright.config.js'
import type { Percentiles } from './node-workload.js'

const PORT = Number(process.env.BENCH_PORT ?? 5198)
const N = Number(process.env.BENCH_DOCS ?? 100_000)
// OrbitDB's query scans its whole oplog and grows faster than linearly (about 23 s per query at
// 10,000 documents here), so by default it holds at most 10,000; BENCH_ORBITDB_DOCS=0 skips it.
const ORBIT_N = Number(process.env.BENCH_ORBITDB_DOCS ?? Math.min(N, 10_000))

interface Runs extends Percentiles { runs?: number }
interface Figures {
  n: number
  seedPerSec: number
  commentsPerSec: number
  storage: { before: number, after: number }
  firstPage: Runs
  countAuthor: Runs
  countAll: Runs
  backlink: Runs
  backlinkCount: Runs
  counts: { author: number, all: number, backlink: number, byTag?: number }
  checkedPage: string[]
  buildMs?: number
  byTagMs?: number
}

const server = await createServer({
  server: { port: PORT, strictPort: true, host: '127.0.0.1' },
  logLevel: 'error',
  optimizeDeps: { entries: ['bench/pages/models.html'] }
})
await server.listen()
const profile = mkdtempSync(join(tmpdir(), 'kiln-models-bench-'))
const context = await chromium.launchPersistentContext(profile, { ...config.use?.launchOptions })
try {
  const open = async (origin: string): Promise<Page> => {
    const page = await context.newPage()
    page.on('pageerror', (err) => { console.error('page error:', err.message) })
    await page.goto(`${origin}/bench/pages/models.html`)
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'ready')
    return page
  }
  let t = performance.now()
  const kiln = await (await open(`http://127.0.0.1:${PORT}`)).evaluate(async (n) => await window.models.kiln(n), N) as Figures
  // Each side's figures as soon as they are in: a 100,000-document run takes most of an hour.
  console.log(`kiln: ${((performance.now() - t) / 1000).toFixed(0)} s in all; ${JSON.stringify(kiln)}`)
  if (ORBIT_N > 0) {
    t = performance.now()
    const orbit = await (await open(`http://localhost:${PORT}`)).evaluate(async (n) => await window.models.orbitdb(n), ORBIT_N) as Figures
    console.log(`orbitdb: ${((performance.now() - t) / 1000).toFixed(0)} s in all; ${JSON.stringify(orbit)}`)
    print(kiln, orbit)
  }
} finally {
  await context.close()
  await server.close()
}

function print (kiln: Figures, orbit: Figures): void {
  const ms = (r: Runs): string => `p50 ${r.p50.toFixed(2)} / p99 ${r.p99.toFixed(2)} ms${r.runs != null ? ` (${r.runs} runs)` : ''}`
  // A ratio only compares like with like: the same documents in both.
  const ratio = (a: Runs, b: Runs): string => kiln.n === orbit.n ? `${(a.p50 / b.p50).toPrecision(3)}x` : ''
  const mb = (s: Figures['storage']): string => `${((s.after - s.before) / 1e6).toFixed(1)} MB`
  const row = (name: string, a: string, b: string, r = ''): void => { console.log(`  ${name.padEnd(42)}${a.padEnd(40)}${b.padEnd(48)}${r}`) }
  const comments = kiln.counts.backlink
  const posts = (n: number): string => `${n.toLocaleString('en-US')} Posts`
  console.log(`\nChromium ${context.browser()?.version() ?? ''}: Posts of 50 authors + Comments on a few Posts (${comments} each)`)
  row('', `kiln, ${posts(kiln.n)} (SharedWorker + IDB)`, `OrbitDB 4 Documents, ${posts(orbit.n)} (page + IDB)`, 'kiln/orbitdb (p50)')
  row('seed Posts, 16 writers at once', `${kiln.seedPerSec} docs/s`, `${orbit.seedPerSec} docs/s`)
  row('seed Comments', `${kiln.commentsPerSec} docs/s`, `${orbit.commentsPerSec} docs/s`)
  row('first 20, author = X, published desc', ms(kiln.firstPage), ms(orbit.firstPage), ratio(kiln.firstPage, orbit.firstPage))
  row(`count author = X (${kiln.counts.author} / ${orbit.counts.author})`, ms(kiln.countAuthor), ms(orbit.countAuthor), ratio(kiln.countAuthor, orbit.countAuthor))
  row(`count all Posts (${kiln.counts.all} / ${orbit.counts.all})`, ms(kiln.countAll), ms(orbit.countAll), ratio(kiln.countAll, orbit.countAll))
  row('backlink: first 20 comments of P', ms(kiln.backlink), ms(orbit.backlink), ratio(kiln.backlink, orbit.backlink))
  row(`backlink count (${kiln.counts.backlink} / ${orbit.counts.backlink})`, ms(kiln.backlinkCount), ms(orbit.backlinkCount), ratio(kiln.backlinkCount, orbit.backlinkCount))
  row('storage used by the seeding', mb(kiln.storage), mb(orbit.storage))
  console.log(`  new index ['tags'] over ${kiln.counts.all} Posts: ready after ${((kiln.buildMs ?? 0) / 1000).toFixed(1)} s; count tags = t3: ${kiln.counts.byTag} in ${(kiln.byTagMs ?? 0).toFixed(1)} ms (OrbitDB has no secondary indexes)`)
  if (kiln.n === orbit.n) console.log(`  first page of author-7: ${kiln.checkedPage.join() === orbit.checkedPage.join() ? 'the same in both' : `DIFFERS: kiln ${kiln.checkedPage.join()} / orbitdb ${orbit.checkedPage.join()}`}`)
}
