import { expect, test, type Page } from '@playwright/test'

async function openApp (page: Page, node: string): Promise<void> {
  await page.goto(`/e2e/pages/app.html?node=${node}`)
  await expect(page.locator('#status')).toHaveText('ready')
}

const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', additionalProperties: false, properties: { text: { type: 'string' } }, required: ['text'] }
const model = (name: string, accountRelation: Record<string, unknown>) => ({ version: '2.0', name, interface: false, implements: [], accountRelation, schema })

test('a page makes Models and documents of every relation, updates, loads and queries them; another tab sees them', async ({ context }) => {
  const node = `models-${Date.now()}`
  const a = await context.newPage()
  const b = await context.newPage()
  await openApp(a, node)
  await openApp(b, node)
  const made = await a.evaluate(async (models) => {
    const kiln = window.kiln!
    const [posts, profiles, tags] = await Promise.all(models.map(async (content) => await kiln.create({ type: 'model', content })))
    const post = await kiln.create({ type: 'MID', model: posts.id, content: { text: 'first post' } })
    const profile = await kiln.create({ type: 'MID', model: profiles.id, deterministic: true, content: { text: 'my profile' } })
    const tag = await kiln.create({ type: 'MID', model: tags.id, unique: ['kiln'], content: { text: 'kiln' } })
    const edited = await kiln.update(post.id, { content: { text: 'first post, edited' } })
    const refused = await kiln.create({ type: 'MID', model: posts.id, content: { text: 1 } }).then(() => null, (err: { code?: string }) => err.code)
    return { posts: posts.id, profile: { id: profile.id, content: profile.content, types: profile.log.map((e) => e.type) }, tag: tag.content, edited: edited.content, post: post.id, refused }
  }, [model('Post', { type: 'list' }), model('Profile', { type: 'single' }), model('Tag', { type: 'set', fields: ['text'] })])
  expect(made.profile.content).toEqual({ text: 'my profile' })
  expect(made.profile.types).toEqual([0, 1])
  expect(made.tag).toEqual({ text: 'kiln' })
  expect(made.edited).toEqual({ text: 'first post, edited' })
  expect(made.refused).toBe('ERR_SCHEMA_VIOLATION')
  const seen = await b.evaluate(async ({ posts, post, profile }) => {
    const kiln = window.kiln!
    const page = await kiln.query({ model: posts })
    return { ids: page.items.map((s) => s.id), post: (await kiln.load(post)).content, profile: (await kiln.load(profile)).content }
  }, { posts: made.posts, post: made.post, profile: made.profile.id })
  expect(seen).toEqual({ ids: [made.post], post: { text: 'first post, edited' }, profile: { text: 'my profile' } })
})

test('a page imports many documents in one writeMany call; another tab queries them by field; a bad one refuses the call whole', async ({ context }) => {
  const node = `batch-${Date.now()}`
  const a = await context.newPage()
  const b = await context.newPage()
  await openApp(a, node)
  await openApp(b, node)
  const posts = await a.evaluate(async (content) => (await window.kiln!.create({ type: 'model', content })).id, model('Post', { type: 'list' }))
  const written = await a.evaluate(async (m) => {
    const kiln = window.kiln!
    await kiln.indexModel(m, [['text']])
    const results = await kiln.writeMany([...Array(200).keys()].map((i) => ({ create: { type: 'MID' as const, model: m, content: { text: `post ${String(i).padStart(3, '0')}` } } })))
    const refused = await kiln.writeMany([
      { create: { type: 'MID', model: m, content: { text: 'would be fine' } } },
      { create: { type: 'MID', model: m, content: { text: 42 } } }
    ]).then(() => null, (err: { code?: string }) => err.code)
    return { count: results.length, refused }
  }, posts)
  expect(written).toEqual({ count: 200, refused: 'ERR_SCHEMA_VIOLATION' })
  const seen = await b.evaluate(async (m) => {
    const kiln = window.kiln!
    const last = await kiln.query({ model: m, sort: { text: 'desc' } }, { limit: 2 })
    return { total: await kiln.count({ model: m }), last: last.items.map((s) => (s.content as { text: string }).text), fine: await kiln.count({ model: m, where: { text: 'would be fine' } }) }
  }, posts)
  expect(seen).toEqual({ total: 200, last: ['post 199', 'post 198'], fine: 0 })
})

test('the kit from a page: its Models install in the worker, a profile is found from a DID alone, followers are counted', async ({ context }) => {
  const node = `kit-${Date.now()}`
  const a = await context.newPage()
  const b = await context.newPage()
  await openApp(a, node)
  await openApp(b, node)
  const made = await a.evaluate(async () => {
    const kiln = window.kiln!
    const { KIT, installKit } = await window.loadKit()
    await installKit(kiln)
    const did = (await kiln.status()).did as string
    await kiln.create({ type: 'MID', model: KIT.profile, deterministic: true, content: { name: 'Tab A', bio: 'hello' } })
    await kiln.create({ type: 'MID', model: KIT.follow, unique: ['did:key:z6MkSomeoneElse'], content: { followed: 'did:key:z6MkSomeoneElse', since: 1 } })
    return { did }
  })
  const seen = await b.evaluate(async (did) => {
    const kiln = window.kiln!
    const { profileId, kitQueries } = await window.loadKit()
    const profile = await kiln.load(await profileId(did))
    return { name: (profile.content as { name: string }).name, followers: await kiln.count(kitQueries.followersOf('did:key:z6MkSomeoneElse')) }
  }, made.did)
  expect(seen).toEqual({ name: 'Tab A', followers: 1 })
})
