import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import config from '../playwright.config.js'
import { launchOwnChromium } from './fixtures/own-chromium.js'
import { attachToSharedWorker } from './fixtures/worker-cdp.js'

/*
 * The SharedWorker under churn: subscriptions made and ended, tabs opened and closed, a tab
 * reloaded with a subscription open, all against one worker, whose heap (after a full GC) and live
 * MessagePorts (each Comlink proxy holds one) are read through DevTools before and after.
 * KILN_SOAK_CYCLES runs it longer (CI: 20 cycles, under a minute).
 */
const CYCLES = Number(process.env.KILN_SOAK_CYCLES ?? 20)
const WARMUP = 5
/** Subscriptions made and ended in the long-lived tab each cycle. */
const SUBSCRIPTIONS_PER_CYCLE = 10
/** The worker's heap may grow this much over the run (caches fill up to their bounds, JIT code). */
const HEAP_BOUND = 3 * 1024 * 1024
const MiB = (bytes: number): string => (bytes / 2 ** 20).toFixed(1)
const baseURL = config.use?.baseURL as string
const node = 'sw-soak'

async function openApp (context: BrowserContext, page?: Page): Promise<Page> {
  const tab = page ?? await context.newPage()
  await tab.goto(`${baseURL}/e2e/pages/app.html?node=${node}`)
  await expect(tab.locator('#status')).toHaveText('ready', { timeout: 20_000 })
  return tab
}

/** In a tab: one subscription to the stream, kept open (reloading or closing the tab must end it). */
async function subscribeAndKeep (tab: Page, id: string): Promise<void> {
  await tab.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, id)
}

test('the SharedWorker stays flat over subscribe/unsubscribe, tab and reload churn', async () => {
  test.setTimeout(60_000 + CYCLES * 3_000)
  const profile = mkdtempSync(join(tmpdir(), 'kiln-sw-soak-'))
  const chrome = await launchOwnChromium(profile)
  try {
    const main = await openApp(chrome.context)
    const reloaded = await openApp(chrome.context)
    const id = await main.evaluate(async () => (await window.kiln!.create({ content: { n: 0 } })).id)
    const worker = await attachToSharedWorker(chrome.wsEndpoint, 'kiln-worker')

    /** One cycle: churn in the long-lived tab, a tab opened and closed, a tab reloaded; each with subscriptions. */
    const cycle = async (n: number): Promise<void> => {
      await main.evaluate(async ({ id, n, subs }) => {
        const kiln = window.kiln!
        const ends = await Promise.all([...Array(subs).keys()].map(async (i) =>
          await kiln.subscribe(i % 2 === 0 ? id : { family: 'soak' }, () => {})))
        // Listeners are called while they are subscribed, then all of them end.
        await kiln.update(id, { content: { n } })
        await Promise.all(ends.map(async (end) => { await end() }))
      }, { id, n, subs: SUBSCRIPTIONS_PER_CYCLE })
      const extra = await openApp(chrome.context)
      await subscribeAndKeep(extra, id)
      await extra.close()
      await openApp(chrome.context, reloaded)
      await subscribeAndKeep(reloaded, id)
    }
    /** Once the worker has noticed closed and reloaded tabs (their Web Locks free), what it serves. */
    const settled = async (): Promise<{ clients: number, subscriptions: number }> => {
      let status = { clients: 0, subscriptions: 0 }
      await expect.poll(async () => {
        status = await main.evaluate(async () => { const s = await window.kiln!.status(); return { clients: s.clients, subscriptions: s.subscriptions } })
        return status
      }, { timeout: 10_000 }).toEqual({ clients: 2, subscriptions: 1 })
      return status
    }

    for (let n = 0; n < WARMUP; n++) await cycle(n)
    await settled()
    const heapStart = await worker.heapAfterGc()
    const portsStart = await worker.messagePorts()
    const started = Date.now()
    for (let n = WARMUP; n < WARMUP + CYCLES; n++) await cycle(n)
    const { subscriptions } = await settled()
    const heapEnd = await worker.heapAfterGc()
    const portsEnd = await worker.messagePorts()
    console.log(`sw-soak: ${CYCLES} cycles (${SUBSCRIPTIONS_PER_CYCLE} subscriptions, 1 tab opened and closed, 1 reload each; ${((Date.now() - started) / 1000).toFixed(0)} s), ` +
      `heap ${MiB(heapStart)}/${MiB(heapEnd)} MiB, MessagePorts ${portsStart}/${portsEnd}, ${subscriptions} subscriptions open at end`)
    expect(heapEnd - heapStart).toBeLessThan(HEAP_BOUND)
    // Two tabs connected before and after: each port released with its proxy; a few in flight at most.
    expect(portsEnd - portsStart).toBeLessThanOrEqual(2)
    worker.close()
  } finally {
    await chrome.kill()
    rmSync(profile, { recursive: true, force: true })
  }
})
