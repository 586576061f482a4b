import { expect, test, type BrowserContext, type Page } from '@playwright/test'
import { testWallet, withInjectedWallet } from './fixtures/demo-pages.js'
import { browserProfile, serverPeerForTests } from './fixtures/server-peer.js'

// The social demo (demo/social/, on the BUILT kiln and kiln/react: `npm run build` first), used by
// two people in two browser profiles that sync through a server peer. Screenshots of the main
// screens are saved with the test's results (test-results/): what they show has DIDs and times
// that change every run, so the test asserts the visible content instead of comparing pixels.
const servers = serverPeerForTests()
const SYNC_TIMEOUT = 20_000

async function openSocial (context: BrowserContext, node: string): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`/demo/social/?node=${node}&peers=${encodeURIComponent(servers.peer.addr)}`)
  await expect(page.locator('#sync-status summary')).toContainText('Online · 1 peer', { timeout: SYNC_TIMEOUT })
  return page
}

async function saveProfile (page: Page, name: string, bio: string): Promise<string> {
  await page.getByRole('link', { name: 'Profile', exact: true }).click()
  await page.getByLabel('Name').fill(name)
  await page.getByLabel('Bio').fill(bio)
  await page.getByRole('button', { name: 'Save profile' }).click()
  await expect(page.getByRole('heading', { name })).toBeVisible()
  await expect(page.locator('#identity')).toContainText(name)
  return await page.locator('#my-did').textContent() as string
}

async function publish (page: Page, text: string, title?: string): Promise<void> {
  await page.getByRole('link', { name: 'Feed', exact: true }).click()
  if (title != null) {
    await page.getByLabel('Article', { exact: true }).check()
    await page.getByLabel('Title').fill(title)
  }
  await page.locator('#composer textarea').fill(text)
  await page.getByRole('button', { name: 'Publish' }).click()
  await expect(page.locator('#feed')).toContainText(title ?? text)
}

const card = (page: Page, text: string) => page.locator('#feed article.post', { hasText: text })

test('two people: a profile, posts and an article, a follow by DID, a live feed, comments, likes and history', async ({}, testInfo) => {
  test.setTimeout(120_000)
  const node = `social-${Date.now()}`
  const [alice, bob] = [await browserProfile(), await browserProfile()]
  const screenshot = async (page: Page, name: string): Promise<void> => {
    await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true })
  }
  try {
    const a = await openSocial(alice, node)
    const b = await openSocial(bob, node)
    const aliceDid = await saveProfile(a, 'Alice', 'Potter and writer')
    expect(aliceDid).toMatch(/^did:key:/)
    await screenshot(a, 'profile')
    await saveProfile(b, 'Bob', 'Reads everything')
    await publish(a, 'Hello from Alice')
    await publish(a, 'Clay, fire and patience.\n\nA long read about kilns.', 'On kilns')
    await expect(card(a, 'On kilns')).toContainText('Alice')

    // Bob follows Alice by her DID: her name, her posts in his feed.
    await b.getByRole('link', { name: 'People' }).click()
    await b.getByLabel('Follow someone by their DID').fill(aliceDid)
    await b.getByRole('button', { name: 'Follow' }).click()
    await expect(b.locator('#following')).toContainText('Alice', { timeout: SYNC_TIMEOUT })
    await screenshot(b, 'people')
    await b.getByRole('link', { name: 'Feed', exact: true }).click()
    await expect(card(b, 'Hello from Alice')).toContainText('Alice', { timeout: SYNC_TIMEOUT })
    await expect(card(b, 'On kilns')).toBeVisible()
    // Live: Alice's next post reaches Bob's open feed, newest first.
    await publish(a, 'Firing tonight')
    await expect(b.locator('#feed article.post').first()).toContainText('Firing tonight', { timeout: SYNC_TIMEOUT })

    // Bob likes the article and comments on it.
    await card(b, 'On kilns').getByRole('button', { name: 'Like' }).click()
    await expect(card(b, 'On kilns').locator('.like-count')).toHaveText('1 like')
    await card(b, 'On kilns').getByRole('link', { name: 'On kilns' }).click()
    await b.getByLabel('Comment', { exact: true }).fill('Lovely read')
    await b.getByRole('button', { name: 'Send' }).click()
    await expect(b.locator('#comments')).toContainText('Bob: Lovely read')
    await screenshot(b, 'post')

    // Alice sees the like and the comment count on her feed, and the comment with Bob's name.
    await expect(card(a, 'On kilns').locator('.like-count')).toHaveText('1 like', { timeout: SYNC_TIMEOUT })
    await expect(card(a, 'On kilns').locator('.comment-count')).toHaveText('1 comment', { timeout: SYNC_TIMEOUT })
    await screenshot(a, 'feed')
    await card(a, 'On kilns').getByRole('link', { name: 'On kilns' }).click()
    await expect(a.locator('#comments')).toContainText('Bob: Lovely read', { timeout: SYNC_TIMEOUT })

    // Alice edits her article; its history has both versions, and the first one is shown as it was.
    await a.getByRole('button', { name: 'Edit' }).click()
    await a.getByLabel('Text').fill('Clay, fire and a lot of patience.')
    await a.getByRole('button', { name: 'Save' }).click()
    await expect(a.getByRole('article', { name: 'Post' })).toContainText('a lot of patience')
    await expect(a.locator('#history li')).toHaveCount(2)
    await a.getByRole('button', { name: 'version 1' }).click()
    await expect(a.locator('#version')).toContainText('Clay, fire and patience.')
    // Bob's open post page follows the edit.
    await b.reload()
    await expect(b.getByRole('article', { name: 'Post' })).toContainText('a lot of patience', { timeout: SYNC_TIMEOUT })

    // Bob forks the article: his own copy, which says which version it came from; the original counts it.
    const original = b.url()
    await b.getByRole('button', { name: 'Fork' }).click()
    await expect(b).not.toHaveURL(original)
    await expect(b.getByRole('article', { name: 'Post' })).toContainText('Forked from')
    await expect(b.getByRole('article', { name: 'Post' })).toContainText('a lot of patience')
    await b.goto(original)
    await expect(b.getByRole('article', { name: 'Post' })).toContainText('1 fork')

    // Anything opens by id (here the article, from its link), and the offline indicator shows.
    const postUrl = a.url()
    await b.goto(`/demo/social/?node=${node}&peers=${encodeURIComponent(servers.peer.addr)}#/stream/${postUrl.split('#/post/')[1]}`)
    await expect(b.getByRole('article', { name: 'Post' })).toContainText('On kilns', { timeout: SYNC_TIMEOUT })
    await bob.setOffline(true)
    await expect(b.locator('#sync-status summary')).toContainText('Offline')
  } finally {
    await alice.close()
    await bob.close()
  }
})

test('signing in with a wallet: new posts are the wallet account\'s; "Use device key" goes back to this browser\'s key', async ({ context }) => {
  await withInjectedWallet(context)
  const page = await context.newPage()
  await page.goto(`/demo/social/?node=social-wallet-${Date.now()}&peers=`)
  await expect(page.locator('#sync-status summary')).toContainText('Offline · 0 peers · no peers configured')
  await expect(page.locator('#identity')).toContainText('(device key · did:key:')
  await page.getByRole('button', { name: 'Sign in with wallet' }).click()
  const account = `did:pkh:eip155:1:${testWallet.address.toLowerCase()}`
  await expect(page.locator('#identity')).toContainText('(wallet · did:pkh:eip155…')
  await publish(page, 'Signed by my wallet')
  await page.getByRole('link', { name: 'Profile', exact: true }).click()
  await expect(page.locator('#my-did')).toHaveText(account)
  await expect(page.getByRole('region', { name: 'Profile' })).toContainText('Signed by my wallet')
  await page.getByRole('button', { name: 'Use device key' }).click()
  await expect(page.locator('#identity')).toContainText('(device key · did:key:')
})
