import { expect, test, type BrowserContext, type Page } from '@playwright/test'

// Browsers without SharedWorker (Chrome for Android before 148, some WebViews): one tab runs the
// node in a dedicated worker, the others reach it through that tab (src/client/fallback.ts).
test.beforeEach(async ({ context }) => {
  await context.addInitScript(() => { delete (window as { SharedWorker?: unknown }).SharedWorker })
})

let count = 0
const freshNode = (): string => `fallback-${Date.now()}-${count++}`

async function openApp (context: BrowserContext, node: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
  return page
}

const status = async (page: Page) => await page.evaluate(async () => await window.kiln!.status())
const contents = async (page: Page) => await page.evaluate(() => window.events.map((e) => e.content))
const subscribe = async (page: Page, id: string): Promise<void> => {
  await page.evaluate(async (id) => { await window.kiln!.subscribe(id, (s) => { window.events.push(s) }) }, id)
}

test('two tabs share the node of the tab that leads: writes and subscriptions both ways', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  const b = await openApp(context, node)
  expect(await a.evaluate(() => typeof SharedWorker)).toBe('undefined')
  // One node: the first tab owns the only worker, and it counts both tabs as its clients.
  expect(a.workers()).toHaveLength(1)
  expect(b.workers()).toHaveLength(0)
  expect(await status(b)).toMatchObject({ mode: 'dedicated-worker', storage: 'indexeddb', clients: 2 })
  expect(await status(a)).toMatchObject({ mode: 'dedicated-worker', clients: 2 })

  // A write in the follower is the leader's to read.
  const created = await b.evaluate(async () => await window.kiln!.create({ content: { title: 'from B' } }))
  expect((await a.evaluate(async (id) => await window.kiln!.load(id), created.id)).content).toEqual({ title: 'from B' })

  await subscribe(a, created.id)
  await subscribe(b, created.id)
  await a.evaluate(async (id) => await window.kiln!.update(id, { content: { title: 'edited in A' } }), created.id)
  await expect.poll(async () => await contents(b)).toEqual([{ title: 'edited in A' }])
  await b.evaluate(async (id) => await window.kiln!.update(id, { content: { title: 'edited in B' } }), created.id)
  await expect.poll(async () => await contents(a)).toEqual([{ title: 'edited in A' }, { title: 'edited in B' }])
  await expect.poll(async () => await contents(b)).toEqual([{ title: 'edited in A' }, { title: 'edited in B' }])

  // Bytes cross the relay intact.
  const car = await b.evaluate(async (id) => {
    const bytes = await window.kiln!.exportCar(id)
    const imported = await window.kiln!.importCar(bytes)
    return { isBytes: bytes instanceof Uint8Array, length: bytes.length, id: imported.id }
  }, created.id)
  expect(car).toMatchObject({ isBytes: true, id: created.id })
  expect(car.length).toBeGreaterThan(100)

  // A follower that closes stops counting as a client (the node sees its tab lock free).
  await b.close()
  await expect.poll(async () => (await status(a)).clients).toBe(1)
})

test('closing the leading tab hands the node over without loss', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  const b = await openApp(context, node)
  const created = await a.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  const updated = await a.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 2 } }), created.id)
  await subscribe(b, created.id)

  await a.close()
  await expect.poll(() => b.workers().length).toBe(1)
  expect(await status(b)).toMatchObject({ mode: 'dedicated-worker', streams: 1, clients: 1 })
  const loaded = await b.evaluate(async (id) => await window.kiln!.load(id), created.id)
  expect(loaded).toMatchObject({ content: { n: 2 }, tip: updated.tip })

  // The new leader writes to the same store, and its subscription, made under A, still fires.
  await b.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 3 } }), created.id)
  const second = await b.evaluate(async () => await window.kiln!.create({ content: { other: true } }))
  await expect.poll(async () => await contents(b)).toEqual([{ n: 3 }])

  const c = await openApp(context, node)
  expect(c.workers()).toHaveLength(0)
  expect(await status(c)).toMatchObject({ mode: 'dedicated-worker', streams: 2, clients: 2 })
  expect((await c.evaluate(async (id) => await window.kiln!.history(id), created.id))).toHaveLength(3)
  expect((await c.evaluate(async (id) => await window.kiln!.load(id), second.id)).content).toEqual({ other: true })
  await c.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 4 } }), created.id)
  await expect.poll(async () => await contents(b)).toEqual([{ n: 3 }, { n: 4 }])
})

test('calls made while no tab leads wait for the next leader, and a write is made once', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  // A page that queues for leadership right after A and then just holds the lock: a gap.
  const gap = await openApp(context, freshNode())
  await gap.evaluate(async (lock) => {
    await new Promise<void>((queued) => {
      void navigator.locks.request(lock, async () => { await new Promise(() => {}) })
      queued()
    })
  }, `kiln-leader:${node}`)
  const b = await openApp(context, node)
  const c = await openApp(context, node)
  const created = await c.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  await subscribe(c, created.id)

  await a.close()
  await c.evaluate((id) => {
    (window as { pending?: Promise<unknown> }).pending = window.kiln!.update(id, { content: { n: 2 } })
  }, created.id)
  await b.waitForTimeout(300)
  expect(b.workers()).toHaveLength(0) // nobody leads: the gap page holds the lock

  await gap.close()
  await expect.poll(() => b.workers().length).toBe(1)
  const written = await c.evaluate(async () => await (window as { pending?: Promise<{ content: unknown }> }).pending!)
  expect(written.content).toEqual({ n: 2 })
  expect(await c.evaluate(async (id) => await window.kiln!.history(id), created.id)).toHaveLength(2)
  // C's subscription, made under A, moved to B: it saw its own retried write and sees B's.
  await b.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 3 } }), created.id)
  await expect.poll(async () => await contents(c)).toEqual([{ n: 2 }, { n: 3 }])
})

test('a write the closing leader had taken fails typed; a read it had taken is retried', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  const b = await openApp(context, node)
  const c = await openApp(context, node)
  const created = await c.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  // Stall the node: A keeps a readwrite transaction on the stream store busy, so the worker takes
  // C's calls but cannot finish them before A's tab (and with it the worker) is gone.
  await a.evaluate(async (db) => {
    const open = indexedDB.open(db)
    const conn = await new Promise<IDBDatabase>((resolve) => { open.onsuccess = () => { resolve(open.result) } })
    const store = conn.transaction('streams', 'readwrite').objectStore('streams')
    const spin = (): void => { store.count().onsuccess = spin }
    spin()
  }, node)
  await c.evaluate((id) => {
    const w = window as { outcome?: Promise<unknown> }
    w.outcome = Promise.all([
      window.kiln!.update(id, { content: { n: 2 } }).then(() => 'stored', (e: { name: string, code: string, details?: unknown }) => ({ name: e.name, code: e.code, details: e.details })),
      window.kiln!.load(id).then((s) => s.content)
    ])
  }, created.id)
  await c.waitForTimeout(300)

  await a.close()
  const [write, read] = await c.evaluate(async () => await (window as { outcome?: Promise<unknown[]> }).outcome!)
  expect(write).toMatchObject({ name: 'LeaderChangedError', code: 'ERR_LEADER_CHANGED', details: { method: 'update', outcome: 'unknown' } })
  expect(read).toEqual({ n: 1 })
  expect(await status(b)).toMatchObject({ mode: 'dedicated-worker', clients: 2 })
})

test('a typed error from the node arrives typed in a follower tab', async ({ context }) => {
  const node = freshNode()
  await openApp(context, node)
  const b = await openApp(context, node)
  const error = await b.evaluate(async () => {
    const created = await window.kiln!.create({ content: { n: 1 } })
    await window.kiln!.update(created.id, { content: { n: 2 } })
    try {
      await window.kiln!.update(created.id, { content: { n: 3 }, expectedTip: created.tip })
      return null
    } catch (err) {
      const e = err as { name: string, code: string, details?: Record<string, unknown> }
      const { KilnError } = await import('/src/errors.ts' as string)
      return { name: e.name, code: e.code, expectedTip: e.details?.expectedTip, isKilnError: err instanceof KilnError }
    }
  })
  expect(error).toMatchObject({ name: 'StaleTipError', code: 'ERR_STALE_TIP', isKilnError: true })
  expect(error?.expectedTip).toEqual(expect.any(String))
})

test('never two writers: a follower tab cannot open the store the leader\'s worker holds', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  const b = await openApp(context, node)
  const seen = await b.evaluate(async (name) => {
    const { createIdbStore } = await import('/src/store/idb-store.ts' as string)
    const opened = await createIdbStore({ name }).then(() => 'opened', (e: { code: string }) => e.code)
    const locks = await navigator.locks.query()
    const count = (list: LockInfo[] | undefined, lock: string): number => (list ?? []).filter((l) => l.name === lock).length
    return {
      opened,
      storeHolders: count(locks.held, `kiln-store:${name}`),
      leaders: count(locks.held, `kiln-leader:${name}`),
      waiting: count(locks.pending, `kiln-leader:${name}`)
    }
  }, node)
  expect(seen).toEqual({ opened: 'ERR_STORE_LOCKED', storeHolders: 1, leaders: 1, waiting: 1 })
  expect(a.workers().length + b.workers().length).toBe(1)
  expect(await status(b)).toMatchObject({ clients: 2 })
})

test('a new leader waits for the store lock the old worker still holds, for a bounded time', async ({ context }) => {
  // Stands in for the previous leader's worker, which may outlive its tab for a moment.
  const holder = await openApp(context, freshNode())
  const hold = async (node: string): Promise<void> => {
    await holder.evaluate(async (lock) => {
      await new Promise<void>((held) => {
        void navigator.locks.request(lock, async () => {
          held()
          await new Promise<void>((resolve) => { (window as { letGo?: () => void }).letGo = resolve })
        })
      })
    }, `kiln-store:${node}`)
  }

  const node = freshNode()
  await hold(node)
  const a = await context.newPage()
  await a.goto(`/e2e/pages/app.html?node=${node}`)
  await a.waitForTimeout(500)
  await expect(a.locator('#status')).toHaveText('loading')
  await holder.evaluate(() => { (window as { letGo?: () => void }).letGo!() })
  await expect(a.locator('#status')).toHaveText('ready')
  expect(await status(a)).toMatchObject({ mode: 'dedicated-worker', clients: 1 })

  // A store that stays locked (say by a node that is not part of this relay) fails typed, in time.
  const stuck = freshNode()
  await hold(stuck)
  const b = await context.newPage()
  await b.goto(`/e2e/pages/app.html?node=${stuck}`)
  await expect(b.locator('#status')).toHaveText('failed', { timeout: 15_000 })
  expect(await b.evaluate(() => window.connectError)).toMatchObject({ code: 'ERR_STORE_LOCKED' })
})

test('a follower that closes its Kiln (its tab lives on) leaves the node at once, and its later calls fail typed', async ({ context }) => {
  const node = freshNode()
  const a = await openApp(context, node)
  const b = await openApp(context, node)
  const created = await a.evaluate(async () => await window.kiln!.create({ content: { n: 1 } }))
  await subscribe(b, created.id)
  expect(await status(a)).toMatchObject({ clients: 2, subscriptions: 1 })
  const later = await b.evaluate(async (id) => {
    await window.kiln!.close()
    return await window.kiln!.load(id).then(() => null, (err: { code?: string }) => err.code)
  }, created.id)
  expect(later).toBe('ERR_CONNECTION_CLOSED')
  expect(await status(a)).toMatchObject({ clients: 1, subscriptions: 0 })
  // The leader's own connection still works and hears its writes.
  await subscribe(a, created.id)
  await a.evaluate(async (id) => await window.kiln!.update(id, { content: { n: 2 } }), created.id)
  await expect.poll(async () => await contents(a)).toEqual([{ n: 2 }])
})
