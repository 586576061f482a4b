/**
 * The Models bench on OrbitDB 4's Documents store, in the same page as a reference point: the same
 * Posts and Comments, and the same queries done as OrbitDB does them (`query(fn)` scans the oplog,
 * then the page sorts and cuts the first page). OrbitDB signs each entry too. Helia keeps blocks in
 * IndexedDB (blockstore-level); libp2p has no transports, so nothing leaves the page.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { Documents, createOrbitDB } from '@orbitdb/core'
import { LevelBlockstore } from 'blockstore-level'
import { createHelia } from 'helia'
import { createLibp2p } from 'libp2p'
import { percentiles } from '../node-workload.js'
import { AUTHORS, COMMENTED_POSTS, COMMENTS_PER_POST, PAGE, author, comment, post, seed, storageUsed, timeRuns, type Comment, type Post } from '../models-data.js'

const RUNS = 50
const COUNT_RUNS = 20
/** OrbitDB's scans grow with N: each measurement stops after this much time (at least 3 runs). */
const BUDGET_MS = 60_000

type Stored<T> = T & { _id: string }

export async function runOrbitDB (n: number, checkedAuthor: string): Promise<unknown> {
  const before = await storageUsed()
  const libp2p = await createLibp2p({
    // One peer on its own, as OrbitDB's README sets it up; no transports, no bootstrap.
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  })
  const blockstore = new LevelBlockstore('orbitdb-bench/blocks')
  // No block brokers or routers: every block is local, and Helia must never ask a gateway.
  const ipfs = await createHelia({ libp2p, blockstore, blockBrokers: [], routers: [] })
  const orbitdb = await createOrbitDB({ ipfs, directory: 'orbitdb-bench' })
  const posts = await orbitdb.open<Stored<Post>>('posts', { Database: Documents() })
  const comments = await orbitdb.open<Stored<Comment>>('comments', { Database: Documents() })
  try {
    const seedPerSec = await seed(0, n, async (i) => await posts.put({ _id: `post-${i}`, ...post(i) }))
    const commentsPerSec = await seed(0, COMMENTED_POSTS * COMMENTS_PER_POST, async (i) => {
      await comments.put({ _id: `comment-${i}`, ...comment(i, `post-${i % COMMENTED_POSTS}`) })
    })
    const after = await storageUsed()

    const firstPageOf = async (name: string): Promise<Post[]> => {
      const found = await posts.query((doc) => doc.author === name)
      return found.sort((a, b) => b.published - a.published).slice(0, PAGE)
    }
    const ofPost = (r: number) => (doc: Comment) => doc.postID === `post-${r % COMMENTED_POSTS}`
    const firstPage = await timeRuns(RUNS, async (r) => await firstPageOf(author(r % AUTHORS)), BUDGET_MS)
    const countAuthor = await timeRuns(COUNT_RUNS, async (r) => (await posts.query((doc) => doc.author === author(r % AUTHORS))).length, BUDGET_MS)
    const countAll = await timeRuns(COUNT_RUNS, async () => (await posts.all()).length, BUDGET_MS)
    const backlink = await timeRuns(RUNS, async (r) => (await comments.query(ofPost(r))).slice(0, PAGE), BUDGET_MS)
    const backlinkCount = await timeRuns(COUNT_RUNS, async (r) => (await comments.query(ofPost(r))).length, BUDGET_MS)
    return {
      n,
      seedPerSec,
      commentsPerSec,
      storage: { before, after },
      firstPage: { ...percentiles(firstPage), runs: firstPage.length },
      countAuthor: { ...percentiles(countAuthor), runs: countAuthor.length },
      countAll: { ...percentiles(countAll), runs: countAll.length },
      backlink: { ...percentiles(backlink), runs: backlink.length },
      backlinkCount: { ...percentiles(backlinkCount), runs: backlinkCount.length },
      counts: {
        author: (await posts.query((doc) => doc.author === author(7))).length,
        all: (await posts.all()).length,
        backlink: (await comments.query(ofPost(0))).length
      },
      checkedPage: (await firstPageOf(checkedAuthor)).map((doc) => doc.title)
    }
  } finally {
    await posts.close()
    await comments.close()
    await orbitdb.stop()
    await ipfs.stop()
  }
}
