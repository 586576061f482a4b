/**
 * The sync bench's workload on OrbitDB 4, run side by side with Kiln's: a server peer in its own
 * process (bench/peers/orbitdb-server.ts) and client peers in this process (memory stores) that
 * dial only its 127.0.0.1 address and open its database's address. A client replicates the whole
 * log: heads on connect, then every missing entry fetched by hash (bitswap) and verified.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { ComposedStorage, Documents, IPFSBlockStorage, LRUStorage, type DocumentsDatabase, type LogEntry, type Storage } from '@orbitdb/core'
import { spawnUntilReady, stopChild } from '../children.js'
import { startOrbitPeer, type OrbitPeer, type SyncDoc } from './orbitdb-peer.js'

export interface OrbitServer { child: ChildProcess, addr: string, address: string, writeMs: number, entries: number }
/** `dialedAt`: when it dialed the server (performance.now()), after its own start-up. */
interface Client { peer: OrbitPeer, db: DocumentsDatabase<SyncDoc>, dir: string, dialedAt: number }

export async function startOrbitServer (dir: string, docs: number): Promise<OrbitServer> {
  const { child, ready } = await spawnUntilReady<Omit<OrbitServer, 'child'>>('bench/peers/orbitdb-server.ts', ['--dir', dir, '--docs', String(docs)], 'the OrbitDB server')
  return { child, ...ready }
}

export async function stopOrbitServer (server: OrbitServer): Promise<void> {
  await stopChild(server.child)
}

/** A client peer that dials the server, then opens its database (the manifest comes over bitswap). */
async function client (server: OrbitServer, entryStorage?: (ipfs: OrbitPeer['ipfs']) => Promise<Storage>): Promise<Client> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-orbitdb-client-'))
  const peer = await startOrbitPeer({ dir })
  const storage = await entryStorage?.(peer.ipfs)
  const dialedAt = performance.now()
  await peer.ipfs.libp2p.dial(multiaddr(server.addr))
  const db = await peer.orbitdb.open<SyncDoc>(server.address, { Database: Documents(), entryStorage: storage })
  return { peer, db, dir, dialedAt }
}

/** OrbitDB's default entry storage (an LRU in front of helia's blocks), noting each entry it holds. */
function countingEntryStorage (held: Set<string>, made: (storage: Storage) => void): (ipfs: OrbitPeer['ipfs']) => Promise<Storage> {
  return async (ipfs) => {
    const storage = await ComposedStorage(await LRUStorage({ size: 1000 }), await IPFSBlockStorage({ ipfs, pin: true }))
    made(storage)
    return {
      ...storage,
      put: async (hash, data) => { await storage.put(hash, data); held.add(hash) },
      get: async (hash) => {
        const bytes = await storage.get(hash)
        if (bytes != null) held.add(hash)
        return bytes
      }
    }
  }
}

async function closeClient (c: Client): Promise<void> {
  await c.peer.stop()
  rmSync(c.dir, { recursive: true, force: true })
}

/**
 * A fresh client replicates the server's database: resolves with the time (ms, from its dial)
 * until its log's head is the server's last entry, or until `timeoutMs` with how many entries it
 * had fetched by then. OrbitDB adds a fetched history to the log only once all of it is verified,
 * so the entries fetched are the only progress there is to see.
 */
export async function orbitdbCatchUp (server: OrbitServer, timeoutMs: number): Promise<{ ms: number, complete: boolean, fetched: number, docs?: number }> {
  const held = new Set<string>()
  let storage: Storage | undefined
  const c = await client(server, countingEntryStorage(held, (s) => { storage = s }))
  const start = c.dialedAt
  let timer: NodeJS.Timeout | undefined
  const complete = await new Promise<boolean>((resolve) => {
    // The server's log is one writer's: its last entry's Lamport time is the number of entries.
    const check = async (): Promise<void> => {
      if ((await c.db.log.heads()).some((head) => head.clock.time >= server.entries)) resolve(true)
    }
    c.db.events.on('update', () => { void check() })
    void check()
    timer = setTimeout(() => { resolve(false) }, Math.max(0, timeoutMs - (performance.now() - start)))
  })
  clearTimeout(timer)
  const ms = performance.now() - start
  const docs = complete ? (await c.db.all()).length : undefined
  // Unfinished, the client's join still waits on blocks: closing the entry storage aborts those
  // gets, so the join fails (OrbitDB logs its error) and the database can close.
  if (!complete) await storage?.close()
  await closeClient(c)
  return { ms, complete, fetched: held.size, docs }
}

/** Sequential puts on client A, each timed until client B's database takes it (through the server). */
export async function orbitdbLatency (server: OrbitServer, updates: number, timeoutMs: number): Promise<{ latencies: number[], lost: number, arrived: boolean }> {
  const [a, b] = [await client(server), await client(server)]
  const seen = (n: number, withinMs: number): Promise<boolean> => new Promise((resolve) => {
    const onUpdate = (entry: LogEntry<SyncDoc>): void => {
      if (entry.payload.value?.n !== n) return
      b.db.events.off('update', onUpdate)
      clearTimeout(timer)
      resolve(true)
    }
    const timer = setTimeout(() => { b.db.events.off('update', onUpdate); resolve(false) }, withinMs)
    b.db.events.on('update', onUpdate)
  })
  // B takes part only once it is in the server's topic mesh: wait until A's first put reaches it.
  const first = seen(0, 15_000)
  await a.db.put({ _id: 'latency', n: 0 })
  const arrived = await first
  const latencies: number[] = []
  let lost = 0
  for (let n = 1; arrived && n <= updates; n++) {
    const start = performance.now()
    const arrival = seen(n, timeoutMs)
    await a.db.put({ _id: 'latency', n })
    if (await arrival) latencies.push(performance.now() - start)
    else lost++
  }
  await closeClient(a)
  await closeClient(b)
  return { latencies, lost, arrived }
}
