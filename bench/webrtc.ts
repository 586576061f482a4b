/**
 * WebRTC bench: update latency browser A → browser B over their direct WebRTC connection, against
 * A → server peer → C (a browser with WebRTC off, so it reaches A only through the server), in one
 * run. Everything runs inside a network namespace (e2e/fixtures/netns.ts): the server peer, a
 * vite dev server and three Chromium profiles; no packet leaves it. Needs root.
 *
 * Phase 1, server up: each update of A is timed to C (server path). Phase 2, server stopped: each
 * update is timed to B (direct path only). An update is timed from just before A's `update` call
 * to B's (or C's) subscriber hearing it, both by the one system clock.
 *
 * Phase 3: B closes (its node stops) while A writes BENCH_WEBRTC_STREAMS new documents; B comes
 * back through a relay that holds no streams and runs no sync, and is timed from opening its page
 * to its direct connection to A, and on to holding all of them (caught up from A alone).
 *
 *   node --import tsx bench/webrtc.ts      (BENCH_WEBRTC_UPDATES, default 100 per path; BENCH_WEBRTC_STREAMS, default 2,000)
 */
import { once } from 'node:events'
import { chromium, type BrowserContext, type Page } from '@playwright/test'
import config, { NO_WEBRTC_UDP } from '../playwright.config.js'
import { newProfileDir } from '../e2e/fixtures/server-peer.js'
import { NAMESPACE_ADDR, createNamespace, firstJsonLine, namespaceUnavailable, waitForUrl } from '../e2e/fixtures/netns.js'

const UPDATES = Number(process.env.BENCH_WEBRTC_UPDATES ?? 100)
const STREAMS = Number(process.env.BENCH_WEBRTC_STREAMS ?? 2_000)
const BATCH = 500
const PORT = Number(process.env.KILN_E2E_PORT ?? 5173)
const BASE_URL = `http://127.0.0.1:${PORT}`

const unavailable = namespaceUnavailable()
if (unavailable != null) {
  console.log(`webrtc bench skipped: ${unavailable}`)
  process.exit(0)
}

declare global { interface Window { heardAt?: Record<number, number> } }

const ns = createNamespace(config.use?.launchOptions?.executablePath ?? '/usr/bin/chromium')
const contexts: BrowserContext[] = []
try {
  const vite = ns.spawn(process.execPath, ['node_modules/vite/bin/vite.js', '--port', String(PORT), '--strictPort', '--host', '127.0.0.1'], {
    env: { ...process.env, KILN_VITE_CACHE_DIR: 'node_modules/.vite-netns' }
  })
  await waitForUrl(ns, `${BASE_URL}/e2e/pages/core.html`)
  const server = ns.spawn(process.execPath, ['--import', 'tsx', 'e2e/fixtures/namespace-server.ts', NAMESPACE_ADDR])
  const { addr } = await firstJsonLine<{ addr: string }>(server)

  const launch = config.use?.launchOptions ?? {}
  const device = async (webrtc: boolean): Promise<BrowserContext> => {
    const args = webrtc ? [...(launch.args ?? []).filter((arg) => arg !== NO_WEBRTC_UDP), '--disable-features=WebRtcHideLocalIpsWithMdns'] : launch.args
    const context = await chromium.launchPersistentContext(newProfileDir(), { ...launch, executablePath: ns.chromium, args, baseURL: BASE_URL })
    contexts.push(context)
    return context
  }
  const node = `bench-webrtc-${Date.now()}`
  const open = async (context: BrowserContext, peer = addr): Promise<Page> => {
    const page = await context.newPage()
    await page.goto(`/e2e/pages/wallet.html?node=${node}&peers=${encodeURIComponent(peer)}`)
    await page.locator('#status').filter({ hasText: 'ready' }).waitFor()
    await page.evaluate(async () => { await window.kiln!.signIn(window.ethereum!) })
    return page
  }
  const contextB = await device(true)
  const [a, b, c] = [await open(await device(true)), await open(contextB), await open(await device(false))]
  const peerId = async (page: Page): Promise<string> => await page.evaluate(async () => (await window.kiln!.status()).network!.peerId)
  const idA = await peerId(a)
  const direct = async (page: Page): Promise<boolean> => await page.evaluate(async (id) => (await window.kiln!.status()).network?.peers.some((p) => p.id === id && p.direct) ?? false, idA)
  const waitUntil = async (check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    while (!await check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
  await waitUntil(async () => await direct(b), 'B to connect directly to A')

  const note = await a.evaluate(async () => await window.kiln!.create({ content: { n: 0 } }))
  for (const page of [b, c]) {
    await waitUntil(async () => await page.evaluate(async (id) => await window.kiln!.load(id).then(() => true, () => false), note.id), 'the note to arrive')
    await page.evaluate(async (id) => {
      window.heardAt = {}
      await window.kiln!.subscribe(id, (s) => { window.heardAt![(s.content as { n: number }).n] ??= Date.now() })
    }, note.id)
  }

  let n = 0
  /** Latencies (ms) of `count` updates of A, each waited for at `to` before the next. */
  const timeTo = async (to: Page, count: number): Promise<number[]> => {
    const out: number[] = []
    for (let i = 0; i < count; i++) {
      const step = ++n
      const sentAt = await a.evaluate(async ({ id, step }) => {
        const at = Date.now()
        await window.kiln!.update(id, { content: { n: step } })
        return at
      }, { id: note.id, step })
      await waitUntil(async () => await to.evaluate((step) => window.heardAt?.[step] != null, step), `update ${step}`, 15_000)
      out.push(await to.evaluate((step) => window.heardAt![step], step) - sentAt)
    }
    return out
  }

  await timeTo(c, 5)
  const viaServer = await timeTo(c, UPDATES)
  const exited = once(server, 'exit')
  server.kill('SIGTERM')
  await exited
  await waitUntil(async () => await b.evaluate(async () => (await window.kiln!.status()).network?.peers.length === 1), 'B to notice the server is gone')
  await timeTo(b, 5)
  const viaDirect = await timeTo(b, UPDATES)

  // Phase 3: catch-up of STREAMS documents from A alone.
  await b.close()
  const streamsBefore = await a.evaluate(async () => (await window.kiln!.status()).streams)
  for (let done = 0; done < STREAMS; done += BATCH) {
    await a.evaluate(async ({ from, count }) => {
      await window.kiln!.writeMany(Array.from({ length: count }, (_, i) => ({ create: { content: { doc: from + i } } })))
    }, { from: done, count: Math.min(BATCH, STREAMS - done) })
  }
  const relay = ns.spawn(process.execPath, ['--import', 'tsx', 'e2e/fixtures/namespace-server.ts', NAMESPACE_ADDR, '--relay-only'])
  const relayAddr = (await firstJsonLine<{ addr: string }>(relay, 60_000)).addr
  await a.evaluate(async (relayAddr) => { await window.kiln!.addPeers([relayAddr]) }, relayAddr)
  const reopened = performance.now()
  const backB = await open(contextB, relayAddr)
  await waitUntil(async () => await direct(backB), 'B to connect directly to A again', 120_000)
  const connectedMs = performance.now() - reopened
  await waitUntil(async () => await backB.evaluate(async () => (await window.kiln!.status()).streams) >= streamsBefore + STREAMS, `B to hold A's ${STREAMS} new documents`, 600_000)
  const caughtUpMs = performance.now() - reopened
  relay.kill('SIGTERM')

  const quantile = (values: number[], q: number): number => {
    const sorted = [...values].sort((x, y) => x - y)
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  }
  const row = (name: string, values: number[]): string => `  ${name.padEnd(28)} p50 ${String(quantile(values, 0.5)).padStart(4)} ms   p99 ${String(quantile(values, 0.99)).padStart(4)} ms   (${values.length} updates)`
  console.log('update latency, browser A → browser (Chromium, SharedWorker, IndexedDB, in a network namespace)')
  console.log(row('A → server peer → C', viaServer))
  console.log(row('A → B direct (WebRTC)', viaDirect))
  console.log(`catch-up of ${STREAMS} documents from another browser (B was offline, only A has them):`)
  console.log(`  page open → direct connection to A  ${(connectedMs / 1000).toFixed(1)} s`)
  console.log(`  page open → all ${STREAMS} held         ${(caughtUpMs / 1000).toFixed(1)} s   (${((caughtUpMs - connectedMs) / 1000).toFixed(1)} s after connecting; ${Math.round(STREAMS / ((caughtUpMs - connectedMs) / 1000))} streams/s)`)
  vite.kill()
} finally {
  for (const context of contexts) await context.close().catch(() => {})
  ns.remove()
}
