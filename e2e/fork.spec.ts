import { expect, test, type Page } from '@playwright/test'

async function openApp (page: Page, node: string): Promise<void> {
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
}

test('a page forks a Tile another identity wrote, while that author is gone: the fork is its own, names its source, and is found among its forks', async ({ browser }) => {
  // Two browser profiles: two identities (device keys) and two nodes.
  const alice = await (await browser.newContext()).newPage()
  const bob = await (await browser.newContext()).newPage()
  await openApp(alice, `fork-a-${Date.now()}`)
  await openApp(bob, `fork-b-${Date.now()}`)
  const source = await alice.evaluate(async () => {
    const kiln = window.kiln!
    const note = await kiln.create({ content: { title: 'Recipe', steps: ['mix'] }, family: 'recipes' })
    const edited = await kiln.update(note.id, { content: { title: 'Recipe', steps: ['mix', 'bake'] } })
    return { id: note.id, commitId: edited.commitId, author: edited.metadata.controllers[0], car: Array.from(await kiln.exportCar(note.id)) }
  })
  await alice.context().close()

  const forked = await bob.evaluate(async ({ id, car }) => {
    const kiln = window.kiln!
    await kiln.importCar(new Uint8Array(car))
    const fork = await kiln.fork(id, { patch: [{ op: 'add', path: '/steps/-', value: 'eat' }] })
    const forks = await kiln.query({ forkOf: id })
    return { fork, forks: forks.items.map((s) => s.id), reloaded: (await kiln.load(fork.id)).metadata.forkOf }
  }, { id: source.id, car: source.car })
  expect(forked.fork.content).toEqual({ title: 'Recipe', steps: ['mix', 'bake', 'eat'] })
  expect(forked.fork.metadata.forkOf).toBe(source.commitId)
  expect(forked.fork.metadata.family).toBe('recipes')
  expect(forked.fork.metadata.controllers[0]).not.toBe(source.author)
  expect(forked.forks).toEqual([forked.fork.id])
  expect(forked.reloaded).toBe(source.commitId)
  await bob.context().close()
})

test('a page links an Ethereum wallet to its identity (the checks load on first use) and reads it back; a revoked link no longer counts', async ({ context }) => {
  const page = await context.newPage()
  await openApp(page, `links-${Date.now()}`)
  const { did, message, account, issued } = await page.evaluate(async () => {
    const kit = await window.loadKit()
    await kit.installKit(window.kiln!)
    const did = (await window.kiln!.status()).did as string
    const account = 'eip155:1:0x14791697260E4c9A71f18484C9f997B308e59325'
    const issued = 1_700_000_000_000
    return { did, account, issued, message: await kit.linkMessage(did, account, issued) }
  })
  // The wallet's signature, made outside the page with a real key (viem, as a wallet's personal_sign).
  const { privateKeyToAccount } = await import('viem/accounts')
  const wallet = privateKeyToAccount('0x0123456789012345678901234567890123456789012345678901234567890123')
  expect(wallet.address).toBe(account.split(':')[2])
  const signature = await wallet.signMessage({ message })
  const seen = await page.evaluate(async ({ did, account, issued, signature }) => {
    const kiln = window.kiln!
    const kit = await window.loadKit()
    const forged = await kit.linkAccount(kiln, { did, account, issued: issued + 1, signature }).then(() => null, (err: { code?: string }) => err.code)
    await kit.linkAccount(kiln, { did, account, issued, signature })
    const linked = await kit.linkedAccounts(kiln, did)
    const identities = await kit.identityOf(kiln, account)
    await kit.unlinkAccount(kiln, did, account)
    return { forged, linked: linked.map((l) => [l.account, l.valid]), identities, after: await kit.identityOf(kiln, account) }
  }, { did, account, issued, signature })
  expect(seen).toEqual({ forged: 'ERR_INVALID_SIGNATURE', linked: [[account.toLowerCase(), true]], identities: [did], after: [] })
})
