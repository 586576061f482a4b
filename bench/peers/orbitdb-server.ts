/**
 * OrbitDB 4's server side for the sync bench, in its own process as `kiln serve` is: a Documents
 * database on helia with LevelDB stores, listening on 127.0.0.1 only (bench/peers/orbitdb-peer.ts).
 * With `--docs N` it first writes N documents of a put + 4 changes each (16 writers), as
 * bench/sync.ts writes streams. Prints one JSON line when ready:
 * `{"ready":true,"addr":"<multiaddr>","address":"/orbitdb/…","writeMs":…,"entries":…}`.
 */
import { parseArgs } from 'node:util'
import { Documents, IPFSAccessController } from '@orbitdb/core'
import { startOrbitPeer, type SyncDoc } from './orbitdb-peer.js'

const { values } = parseArgs({ options: { dir: { type: 'string' }, docs: { type: 'string' } } })
const docs = Number(values.docs ?? 0)
const UPDATES = 4
const WRITERS = 16

const peer = await startOrbitPeer({ dir: values.dir as string, listen: ['/ip4/127.0.0.1/tcp/0/ws'], disk: true })
// Anyone may write (client A does in the latency run); each entry's signature and writer identity
// are still checked by every peer that takes it.
const db = await peer.orbitdb.open<SyncDoc>('kiln-bench-sync', { Database: Documents(), AccessController: IPFSAccessController({ write: ['*'] }) })
const start = performance.now()
let next = 0
await Promise.all(Array.from({ length: WRITERS }, async () => {
  while (next < docs) {
    const i = next++
    for (let n = 0; n <= UPDATES; n++) await db.put({ _id: `doc-${i}`, n, i })
  }
}))
const writeMs = performance.now() - start
const addr = peer.ipfs.libp2p.getMultiaddrs()[0].toString()
process.stdout.write(JSON.stringify({ ready: true, addr, address: db.address, writeMs, entries: docs * (UPDATES + 1) }) + '\n')
process.on('SIGTERM', () => { void peer.stop().finally(() => process.exit(0)) })
