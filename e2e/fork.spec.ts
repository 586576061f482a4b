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
