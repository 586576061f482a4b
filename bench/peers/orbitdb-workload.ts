/**
 * The browser and store benches' workload on OrbitDB 4, run side by side with Kiln's: creates,
 * updates, loads, 16 writers at once and the query, in Node (blocks and pins in LevelDB on disk) or
 * in a page (the same stores on IndexedDB).
 *
 * OrbitDB's Documents store is the one that matches "a document per stream": a JSON document with
 * its own id (`_id`), replaced by each put, and queried by its fields (`query(fn)`). KeyValue holds
 * the same log of puts per key but has no query; KeyValueIndexed adds a LevelDB index by key only.
 * A Documents `get` and `query` walk the oplog from its heads (no index of any kind), and every
 * entry is signed with the writer's identity key (secp256k1) as it is appended.
 */
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { Documents, createOrbitDB, type DocumentsDatabase } from '@orbitdb/core'
import { LevelBlockstore } from 'blockstore-level'
import { LevelDatastore } from 'datastore-level'
import { createHelia } from 'helia'
import { createLibp2p } from 'libp2p'
import type { WorkloadFigures, WorkloadSizes } from '../node-workload.js'

const FAMILIES = 20
const FILL_CONCURRENCY = 16
const QUERY_LIMIT = 100

interface Doc { _id: string, n: number, family: string }

/**
 * OrbitDB on a helia of its own under `path` (a directory in Node, IndexedDB database names in a
 * page): one peer on its own, with no transports, block brokers or routers, so nothing leaves it.
 */
export async function runOrbitDBWorkload (path: string, sizes: WorkloadSizes): Promise<WorkloadFigures> {
  const libp2p = await createLibp2p({ services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) } })
  const blockstore = new LevelBlockstore(`${path}/blocks`)
  // OrbitDB pins every entry it stores; helia keeps its pins in the datastore.
  const datastore = new LevelDatastore(`${path}/data`)
  await blockstore.open()
  await datastore.open()
  const ipfs = await createHelia({ libp2p, blockstore, datastore, blockBrokers: [], routers: [] })
  const orbitdb = await createOrbitDB({ ipfs, directory: `${path}/orbitdb` })
  const family = (i: number): string => `f${i % FAMILIES}`
  try {
    let db = await orbitdb.open<Doc>('bench-docs', { Database: Documents() })
    const ids: string[] = []
    let t = performance.now()
    for (let i = 0; i < sizes.creates; i++) {
      ids.push(`doc-${i}`)
      await db.put({ _id: ids[i], n: i, family: family(i) })
    }
    const createsPerSec = perSec(sizes.creates, t)

    // A put replaces the whole document (there is no patch), so an update carries its family too.
    t = performance.now()
    for (let i = 0; i < sizes.updates; i++) await db.put({ _id: ids[i % ids.length], n: -i, family: family(i % ids.length) })
    const updatesPerSec = perSec(sizes.updates, t)

    // Loads from storage, as automerge's fresh repo does: the reopened database has no cached entries.
    const address = db.address
    await db.close()
    db = await orbitdb.open<Doc>(address, { Database: Documents() })
    t = performance.now()
    for (let i = 0; i < sizes.loads; i++) await mustGet(db, ids[i % ids.length])
    const loadsPerSec = perSec(sizes.loads, t)

    t = performance.now()
    let next = sizes.creates
    await Promise.all(Array.from({ length: FILL_CONCURRENCY }, async () => {
      while (next < sizes.total) {
        const i = next++
        await db.put({ _id: `doc-${i}`, n: i, family: family(i) })
      }
    }))
    const fillPerSec = perSec(sizes.total - sizes.creates, t)

    // The OrbitDB way: query(fn) returns every match (a scan of the oplog), the caller keeps 100.
    t = performance.now()
    const page = (await db.query((doc) => doc.family === 'f7')).slice(0, QUERY_LIMIT)
    const queryMs = performance.now() - t
    await db.close()
    return { createsPerSec, updatesPerSec, loadsPerSec, fillPerSec, queryMs, queryItems: page.length }
  } finally {
    await orbitdb.stop()
    await ipfs.stop()
    await blockstore.close()
    await datastore.close()
  }
}

async function mustGet (db: DocumentsDatabase<Doc>, id: string): Promise<Doc> {
  const found = await db.get(id)
  if (found == null) throw new Error(`OrbitDB lost document ${id}`)
  return found.value
}

function perSec (count: number, since: number): number {
  return Math.round(count / ((performance.now() - since) / 1000))
}
