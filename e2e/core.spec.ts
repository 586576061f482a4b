import { expect, test, type Page } from '@playwright/test'
import { streamLifecycle } from './fixtures/stream-lifecycle.js'

/** Opens the smoke page, fails the test on any page error, and returns a case runner. */
async function openSmokePage (page: Page): Promise<(name: string) => Promise<unknown>> {
  const errors: string[] = []
  page.on('pageerror', (err) => { errors.push(err.stack ?? err.message) })
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`${msg.text()} (${msg.location().url})`) })
  await page.goto('/e2e/pages/core.html')
  await expect(page.locator('#status')).toHaveText('ready')
  return async (name) => {
    const result = await page.evaluate(async (n) => await window.kilnSmoke!.run(n), name)
    expect(errors, 'page errors').toEqual([])
    return result
  }
}

test('Ed25519 keys from WebCrypto sign and verify in Chromium', async ({ page }) => {
  const run = await openSmokePage(page)
  expect(await run('ed25519')).toEqual({
    verified: true,
    tamperedVerified: false,
    signatureLength: 64,
    publicKeyLength: 32
  })
})

test('a dag-cbor block gets a sha256 CIDv1 in Chromium', async ({ page }) => {
  const run = await openSmokePage(page)
  const result = await run('dagCbor') as { cid: string, roundTrip: boolean }
  expect(result.cid).toMatch(/^bafyrei[a-z2-7]+$/)
  // The same block encoded and hashed in Node (@ipld/dag-cbor + multiformats sha256).
  expect(result.cid).toBe('bafyreiecnmhaf7jr46wm6igdvbjeg46fomin4weckh24j6f6m46q3phbhe')
  expect(result.roundTrip).toBe(true)
})

test('the core dependencies load in Chromium without Node globals', async ({ page }) => {
  const run = await openSmokePage(page)
  expect(await run('imports')).toEqual({
    dagJoseCode: 0x85,
    didsHasDID: true,
    ajvValid: true,
    patched: 2,
    cacaoHasCacao: true,
    keyDidHasResolver: true
  })
})

test('an unknown case is refused', async ({ page }) => {
  await openSmokePage(page)
  await expect(page.evaluate(async () => await window.kilnSmoke!.run('nope'))).rejects.toThrow('unknown smoke case: nope')
})

test('dids signs and verifies a DAG-JWS with did:key in Chromium', async ({ page }) => {
  const run = await openSmokePage(page)
  const result = await run('didKeyDagJws') as { did: string, kid: string }
  expect(result.did).toMatch(/^did:key:z6Mk/)
  expect(result.kid.startsWith(`${result.did}#`)).toBe(true)
})

test('Kiln\'s stream core runs in Chromium and produces the same commits as in Node', async ({ page }) => {
  const run = await openSmokePage(page)
  const inBrowser = await run('streamLifecycle') as Record<string, unknown>
  const inNode = await streamLifecycle()
  expect(inBrowser).toEqual(inNode)
  expect(inBrowser.content).toEqual({ n: 3 })
  expect(inBrowser.reloadedContent).toEqual({ n: 3 })
  expect(inBrowser.pastContent).toEqual({ n: 1 })
  expect(inBrowser.forgedCommitRefusedWith).toBe('ERR_WRONG_CONTROLLER')
  expect(inBrowser.log).toHaveLength(4)
})
