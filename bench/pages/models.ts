/**
 * Runs in Chromium, driven by bench/models.ts: Posts and Comments through the real client (page →
 * SharedWorker → IndexedDB) and Kiln's field-index queries over them; then the same documents and
 * queries on OrbitDB's Documents store in this page (bench/peers/orbitdb.ts).
 */
import { connect } from '../../src/client/index.js'
import { percentiles } from '../node-workload.js'
import { AUTHORS, COMMENTED_POSTS, COMMENTS_PER_POST, PAGE, POST_MODEL, author, comment, commentModel, post, seed, storageUsed, timeRuns } from '../models-data.js'
import { runOrbitDB } from '../peers/orbitdb.js'

declare global {
  interface Window { models: Record<string, (n: number) => Promise<unknown>> }
}

const RUNS = 100
const COUNT_RUNS = 20
/** The author whose first page both stores print, to check that they agree. */
const CHECKED_AUTHOR = author(7)

async function runKiln (n: number): Promise<unknown> {
  const kiln = await connect({ name: 'models-bench' })
  const before = await storageUsed()
  const posts = (await kiln.create({ type: 'model', content: POST_MODEL })).id
  const comments = (await kiln.create({ type: 'model', content: commentModel(posts) })).id
  // Declared before seeding: each write keeps it current.
  await kiln.indexModel(posts, [['author', 'published']])

  const commented: string[] = []
  const seedPerSec = await seed(0, n, async (i) => {
    const made = await kiln.create({ type: 'MID', model: posts, content: post(i) })
    if (i < COMMENTED_POSTS) commented[i] = made.id
  })
  const commentsPerSec = await seed(0, COMMENTED_POSTS * COMMENTS_PER_POST, async (i) => {
    await kiln.create({ type: 'MID', model: comments, content: comment(i, commented[i % COMMENTED_POSTS]) })
  })
  const after = await storageUsed()

  const byAuthor = (r: number) => ({ model: posts, where: { author: author(r % AUTHORS) }, sort: { published: 'desc' as const } })
  const firstPage = await timeRuns(RUNS, async (r) => await kiln.query(byAuthor(r), { limit: PAGE }))
  const countAuthor = await timeRuns(COUNT_RUNS, async (r) => await kiln.count(byAuthor(r)))
  const countAll = await timeRuns(COUNT_RUNS, async () => await kiln.count({ model: posts }))
  const ofPost = (r: number) => ({ model: comments, where: { postID: commented[r % COMMENTED_POSTS] } })
  const backlink = await timeRuns(RUNS, async (r) => await kiln.query(ofPost(r), { limit: PAGE }))
  const backlinkCount = await timeRuns(COUNT_RUNS, async (r) => await kiln.count(ofPost(r)))

  // A new index over documents already held: time until the node says it is ready.
  let t = performance.now()
  await kiln.indexModel(posts, [['tags']])
  while ((await kiln.indexes(posts)).some((index) => index.fields.join() === 'tags' && index.state !== 'ready')) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const buildMs = performance.now() - t
  t = performance.now()
  const byTag = await kiln.count({ model: posts, where: { tags: 't3' } })
  const byTagMs = performance.now() - t

  const checked = await kiln.query({ model: posts, where: { author: CHECKED_AUTHOR }, sort: { published: 'desc' } }, { limit: PAGE })
  return {
    n,
    seedPerSec,
    commentsPerSec,
    storage: { before, after },
    firstPage: { ...percentiles(firstPage), runs: firstPage.length },
    countAuthor: percentiles(countAuthor),
    countAll: percentiles(countAll),
    backlink: percentiles(backlink),
    backlinkCount: percentiles(backlinkCount),
    counts: { author: await kiln.count(byAuthor(7)), all: await kiln.count({ model: posts }), backlink: await kiln.count(ofPost(0)), byTag },
    buildMs,
    byTagMs,
    checkedPage: checked.items.map((s) => (s.content as { title: string }).title)
  }
}

window.models = {
  kiln: runKiln,
  orbitdb: async (n) => await runOrbitDB(n, CHECKED_AUTHOR)
}
document.querySelector('#status')!.textContent = 'ready'
