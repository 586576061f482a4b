import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, expect, test } from '@playwright/test'
import { CeramicClient } from '@ceramic-sdk/http-client'
import { ModelClient } from '@ceramic-sdk/model-client'
import { ModelInstanceClient } from '@ceramic-sdk/model-instance-client'
import config from '../playwright.config.js'
import { ceramicDid } from '../test/fixtures/identities.js'
import { serve, tempDir } from '../test/server/kiln-serve.js'

const cleanups: Array<() => Promise<void>> = []
test.afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

test('a document written with Ceramic\'s SDK to kiln serve reaches a browser tab, and so do its updates', async () => {
  const server = await serve(cleanups, tempDir())
  const ceramic = new CeramicClient({ url: server.ready.http })
  const did = await ceramicDid('alice')
  const definition = {
    version: '2.0' as const,
    name: 'Note',
    interface: false,
    implements: [],
    accountRelation: { type: 'list' as const },
    schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' as const, properties: { title: { type: 'string' } }, additionalProperties: false },
    relations: {},
    views: {}
  }
  const modelId = await new ModelClient({ ceramic, did }).createDefinition(definition)
  const documents = new ModelInstanceClient({ ceramic, did })
  const created = await documents.createInstance({ model: modelId, content: { title: 'from the SDK' } })
  const docId = created.baseID.toString()

  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'kiln-device-')), { ...config.use?.launchOptions, baseURL: config.use?.baseURL as string })
  cleanups.push(async () => { await context.close() })
  const page = await context.newPage()
  await page.goto(`/e2e/pages/app.html?node=ceramic-sdk-${Date.now()}&peers=${encodeURIComponent(server.ready.multiaddrs[0])}`)
  await expect(page.locator('#status')).toHaveText('ready')
  await expect.poll(async () => await page.evaluate(async (id) => await window.kiln!.load(id).then((s) => s.content, () => null), docId), { timeout: 20_000 }).toEqual({ title: 'from the SDK' })

  await page.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, docId)
  const updated = await documents.updateDocument({ streamID: docId, newContent: { title: 'edited with the SDK' } })
  await expect.poll(async () => await page.evaluate(() => window.events.map((e) => e.tip)), { timeout: 20_000 }).toContain(updated.commitID.commit.toString())
  expect(await page.evaluate(async (id) => (await window.kiln!.load(id)).content, docId)).toEqual({ title: 'edited with the SDK' })
})
