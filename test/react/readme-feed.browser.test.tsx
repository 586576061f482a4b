/// <reference types="vite/client" />
import { expect, it } from 'vitest'
import { connect, loadKit } from '../../src/client/index.js'
import { showFeed } from './readme-feed.js'
import example from './readme-feed.tsx?raw'
import readme from '../../README.md?raw'

// The README's feed example is this directory's readme-feed.tsx, less its two comment lines.
it('the README shows the social feed example as it is in readme-feed.tsx', () => {
  const code = example.split('\n').slice(2).join('\n').trim()
  expect(readme).toContain('```tsx\n' + code + '\n```')
})

it('the README\'s social feed runs: a post appears at once, and its comment count follows a comment', async () => {
  const element = document.createElement('div')
  document.body.append(element)
  await showFeed(element, [], [])
  await expect.poll(() => element.querySelector('button')?.textContent).toBe('Post')
  element.querySelector('button')!.click()
  await expect.poll(() => element.querySelector('p')?.textContent, { timeout: 10_000 }).toBe('Hello! · 0 comments')

  // A comment on it, written from another connection (a second tab): the count follows, live.
  const kiln = await connect()
  const { KIT, kitQueries } = await loadKit()
  const [post] = (await kiln.query(kitQueries.postsBy((await kiln.status()).did!))).items
  await kiln.create({ type: 'MID', model: KIT.comment, content: { target: post.id, text: 'welcome', published: Date.now() } })
  await expect.poll(() => element.querySelector('p')?.textContent, { timeout: 10_000 }).toBe('Hello! · 1 comments')
  await kiln.close()
})
