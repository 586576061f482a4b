import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { chromium, expect, test, type BrowserContext, type Page } from '@playwright/test'
import config from '../playwright.config.js'

interface Server { process: ChildProcess, addr: string, http: string }

/** `kiln serve` as a user runs it; resolves with its WebSocket multiaddr once it prints its ready line. */
async function serve (dir: string): Promise<Server> {
  const child = spawn(process.execPath, ['bin/kiln.js', 'serve', '--dir', dir, '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const lines = createInterface({ input: child.stdout! })
  for await (const line of lines) {
    const message = JSON.parse(line) as { ready?: boolean, multiaddrs?: string[], http?: string }
    if (message.ready === true) return { process: child, addr: message.multiaddrs![0], http: message.http! }
  }
  throw new Error('kiln serve exited before it was ready')
}

async function stop (server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.process.once('exit', resolve))
  server.process.kill('SIGTERM')
  await exited
}

async function device (): Promise<BrowserContext> {
  return await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'kiln-device-')), { ...config.use?.launchOptions, baseURL: config.use?.baseURL as string })
}

async function open (context: BrowserContext, node: string, addr: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/e2e/pages/app.html?node=${node}&peers=${encodeURIComponent(addr)}`)
  await expect(page.locator('#status')).toHaveText('ready')
  return page
}

test('restarting the server peer loses nothing: a device that was never online with the writer still gets everything', async () => {
  // Two starts of the real `kiln serve` (tsx compiles its source each time: about 4 s here).
  test.setTimeout(60_000)
  const dir = mkdtempSync(join(tmpdir(), 'kiln-server-'))
  const node = `restart-server-${Date.now()}`
  let server = await serve(dir)
  const writer = await device()
  const reader = await device()
  try {
    const pageA = await open(writer, node, server.addr)
    const notes: Array<{ id: string, tip: string }> = []
    for (let i = 0; i < 3; i++) notes.push(await pageA.evaluate(async (n) => await window.kiln!.create({ content: { n } }), i))
    // The server holds them all (its HTTP API shows each at the writer's tip); then the writer leaves.
    for (const note of notes) {
      await expect.poll(async () => await fetch(`${server.http}/streams/${note.id}`).then(async (r) => r.ok ? ((await r.json()) as { tip: string }).tip : null), { timeout: 20_000 }).toBe(note.tip)
    }
    await writer.close()
    await stop(server)
    server = await serve(dir)
    const pageB = await open(reader, node, server.addr)
    for (const note of notes) {
      await expect.poll(async () => await pageB.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.tip, () => null), note.id), { timeout: 20_000 }).toBe(note.tip)
    }
  } finally {
    await reader.close()
    await stop(server)
  }
})
