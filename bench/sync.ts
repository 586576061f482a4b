/**
 * Sync benchmark: (1) a fresh node (memory store, no listener, as a browser) catches up N streams
 * of a genesis + 4 updates each from a server peer; (2) update latency A -> server -> B by gossip.
 * Each server peer is a real `kiln serve` child process (disk store, relay, HTTP), so it does not
 * share this process's event loop. Loopback WebSockets, noise, yamux. The same two measures run
 * on automerge-repo (its server process, WebSocket adapter) and on OrbitDB 4 (its server process,
 * helia + libp2p on 127.0.0.1) side by side, printed with ratios. BENCH_SYNC_STREAMS shrinks the
 * catch-up (default 10,000), BENCH_ORBITDB_SYNC_DOCS OrbitDB's; run: npm run bench
 */
// Kiln in Node as kiln/node runs it: Ed25519 and Recon's key hashes on node:crypto.
import '../src/identity/ed25519-node.js'
import '../src/sync/sha256a-node.js'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { createDidKeySigner } from '../src/identity/signer.js'
import { createStreamNode, type StreamNode } from '../src/node/stream-node.js'
import { createDiskStore } from '../src/store/disk-store.js'
import { createMemoryStore } from '../src/store/memory-store.js'
import { createDenyList, createKilnLibp2p, startSync, type KilnLibp2p, type Sync } from '../src/sync/index.js'
import { ownChild } from './children.js'
import { automergeCatchUp, automergeLatency, startAutomergeServer, stopAutomergeServer } from './peers/automerge-sync.js'
import { GOALS, atLeast, atMost } from './goals.js'
import { DIFFERENCES } from './peers/orbitdb-facts.js'
import { orbitdbCatchUp, orbitdbLatency, startOrbitServer, stopOrbitServer } from './peers/orbitdb-sync.js'

const STREAMS = Number(process.env.BENCH_SYNC_STREAMS ?? 10_000)
const UPDATES = 4
const WRITERS = 16
const LATENCY_UPDATES = 300
const CATCH_UP_TIMEOUT_MS = Number(process.env.BENCH_SYNC_TIMEOUT_S ?? 1_800) * 1000
const UPDATE_TIMEOUT_MS = 10_000
/** BENCH_SYNC_REFERENCE=0 skips automerge-repo and OrbitDB (minutes at 10,000 documents) for a quick look at Kiln alone. */
const WITH_REFERENCE = process.env.BENCH_SYNC_REFERENCE !== '0'
/**
 * OrbitDB writes and replicates its log at about 40 to 135 entries/s each on this 2-core machine
 * (by load), so 10,000 documents (50,000 entries) would take 13 to 35 minutes: by default it
 * holds 1,000.
 */
const ORBIT_DOCS = Number(process.env.BENCH_ORBITDB_SYNC_DOCS ?? Math.min(STREAMS, 1_000))

interface Peer { node: StreamNode, libp2p: KilnLibp2p, sync: Sync }
interface Server { child: ChildProcess, addr: string, http: string, readyMs: number }


/** A browser-like peer: memory store, libp2p that dials but does not listen, sync. */
async function startPeer (seed: number, ownStreamsOnly = false): Promise<Peer> {
  const node = createStreamNode({ store: createMemoryStore(), signer: await createDidKeySigner(new Uint8Array(32).fill(seed)) })
  const denyList = createDenyList()
  const libp2p = await createKilnLibp2p({ listen: [], denyList })
  // A device of an account wants that account's streams (heads sync); otherwise every stream (Recon).
  const interests = ownStreamsOnly ? [{ controller: node.controller as string }] : undefined
  // A long periodic interval: what is measured is the catch-up on connect and gossip, not the 30 s timer.
  const sync = await startSync({ node, libp2p, denyList, interests, syncIntervalMs: 600_000 })
  return { node, libp2p, sync }
}

async function stopPeer (peer: Peer): Promise<void> {
  await peer.sync.stop()
  await peer.libp2p.stop()
  await peer.node.close()
}

/** `kiln serve` on `dir` (free ports); resolves once it prints its ready line. */
async function serve (dir: string): Promise<Server> {
  const start = performance.now()
  const child = spawn(process.execPath, ['bin/kiln.js', 'serve', '--dir', dir, '--port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  ownChild(child)
  return await new Promise((resolve, reject) => {
    let out = ''
    // Stdout is read to the end, so the server's last line at shutdown never meets a closed pipe.
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const ready = out.split('\n').slice(0, -1).map((l) => l.startsWith('{') ? JSON.parse(l) as { ready?: boolean, multiaddrs: string[], http: string } : undefined).find((l) => l?.ready === true)
      if (ready != null) resolve({ child, addr: ready.multiaddrs[0], http: ready.http, readyMs: performance.now() - start })
    })
    child.once('exit', (code) => { reject(new Error(`kiln serve exited (${String(code)}) before it was ready`)) })
  })
}

async function stopServer (server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve))
  server.child.kill('SIGTERM')
  await exited
}

async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  return true
}

/** Every stream's sorted tips, page by page (a store index walk, no state decoding). */
async function allHeads (node: StreamNode): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  let cursor: string | undefined
  do {
    const page = await node.heads({}, { limit: 1_000, cursor })
    for (const h of page.items) out.set(h.id, [...h.tips].sort().join(','))
    cursor = page.items.length === 0 ? undefined : page.cursor
  } while (cursor != null)
  return out
}

const rate = (count: number, ms: number): string => `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s`
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`
const num = (n: number): string => n.toLocaleString('en-US')
/** "2.10x faster than" / "0.50x the speed of": how much less time Kiln took than the reference. */
const ratio = (referenceMs: number, kilnMs: number): string => referenceMs >= kilnMs ? `${(referenceMs / kilnMs).toFixed(2)}x faster than` : `${(referenceMs / kilnMs).toFixed(2)}x the speed of`
const pct = (sorted: number[], q: number): string => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))].toFixed(1)
const lines: string[] = []
const dirs: string[] = []
const tempDir = (): string => { const d = mkdtempSync(join(tmpdir(), 'kiln-bench-sync-')); dirs.push(d); return d }

// --- (1) catch-up ------------------------------------------------------------------------------
// The server's data is written in this process first (kiln serve's layout: <dir>/store), then served.
const dir = tempDir()
const writer = createStreamNode({ store: await createDiskStore({ path: join(dir, 'store') }), signer: await createDidKeySigner(new Uint8Array(32).fill(11)) })
const t = performance.now()
let next = 0
await Promise.all(Array.from({ length: WRITERS }, async () => {
  while (next < STREAMS) {
    const i = next++
    const { id } = await writer.create({ content: { n: 0, i }, family: `f${i % 20}` })
    for (let u = 1; u <= UPDATES; u++) await writer.update(id, { content: { n: u, i } })
  }
}))
const buildMs = performance.now() - t
const built = await writer.stats()
const expected = await allHeads(writer)
await writer.close()
const server = await serve(dir)
lines.push(`server peer: kiln serve, disk store (LevelDB), ${num(built.streams)} streams / ${num(built.commits)} commits, written in ${secs(buildMs)} (${rate(built.commits, buildMs)}, ${WRITERS} writers); ready in ${secs(server.readyMs)}`)
// The catch-ups measure a running server, as a device meets one: its Recon index, loaded from the
// keys its store keeps, is ready first (sessions wait for it), and its load time is its own figure.
const indexLoaded = await reconIndexLoaded(server)
lines.push(`  its Recon index: ${num(indexLoaded.keys)} keys loaded in ${indexLoaded.loadedInMs.toFixed(0)} ms at its start (a node connecting meanwhile waits for it)`)

async function reconIndexLoaded (server: Server): Promise<{ keys: number, loadedInMs: number }> {
  const health = async (): Promise<{ keys: number, loadedInMs?: number } | undefined> => await fetch(`${server.http}/healthz`)
    .then(async (r) => (await r.json() as { sync: { reconIndex?: { keys: number, loadedInMs?: number } } }).sync.reconIndex)
  if (!await waitFor(async () => (await health())?.loadedInMs != null, 60_000, 20)) throw new Error('The server\'s Recon index did not load within a minute')
  return await health() as { keys: number, loadedInMs: number }
}

/** A fresh node dials the server and catches up everything; its figures go to `lines`. */
async function measureCatchUp (label: string, fresh: Peer): Promise<number | undefined> {
  let runs = 0
  let firstAt: number | undefined
  fresh.node.onCommit((e) => { if (!e.local) { runs++; firstAt ??= performance.now() } })
  const start = performance.now()
  const cpuStart = process.cpuUsage()
  await fresh.libp2p.dial(multiaddr(server.addr))
  const caughtUp = await waitFor(async () => {
    if ((await fresh.node.stats()).commits < built.commits) return false
    const mine = await allHeads(fresh.node)
    return [...expected].every(([id, tips]) => mine.get(id) === tips)
  }, CATCH_UP_TIMEOUT_MS, 250)
  const ms = performance.now() - start
  // CPU time says what the catch-up costs this node whatever else the machine runs (wall time does not).
  const cpu = process.cpuUsage(cpuStart)
  const cpuMs = (cpu.user + cpu.system) / 1000
  const got = await fresh.node.stats()
  const st = fresh.sync.status()
  const health = await fetch(`${server.http}/healthz`).then(async (r) => await r.json() as { sync: { banned: number, failed: number } })
  if (caughtUp) {
    lines.push(`catch-up of ${label} from it: ${secs(ms)} for ${num(STREAMS)} streams / ${num(built.commits)} commits`)
    const firstMs = (firstAt ?? start) - start
    lines.push(`  ${rate(STREAMS, ms)} streams, ${rate(built.commits, ms)} commits (${atLeast(built.commits / (ms / 1000), GOALS.catchUpPerSec)}); first commit after ${firstMs.toFixed(0)} ms (${atMost(firstMs, GOALS.firstCommitMs)}); accepted as ${num(runs)} runs`)
    lines.push(`  this node's CPU: ${secs(cpuMs)}, ${(cpuMs * 1000 / built.commits).toFixed(0)} µs per commit (${rate(built.commits, cpuMs)} of CPU time)`)
  } else {
    lines.push(`catch-up of ${label} NOT measured: after ${secs(ms)} it held ${num(got.streams)}/${num(STREAMS)} streams, ${num(got.commits)}/${num(built.commits)} commits (${rate(got.commits, ms)} so far)`)
  }
  lines.push(`  recon ${JSON.stringify(st.recon)}, failed ${st.failed}, announced ${st.gossip.published}; server: failed ${health.sync.failed}, banned ${health.sync.banned}`)
  await stopPeer(fresh)
  return caughtUp ? ms : undefined
}

const kilnCatchUpMs = await measureCatchUp('a fresh node wanting every stream (memory store; Recon)', await startPeer(12))
await measureCatchUp('a new device of the writing account (memory store; its controller\'s streams, heads sync)', await startPeer(11, true))
await stopServer(server)

if (WITH_REFERENCE) {
  // The same documents on automerge-repo: its server in its own process, a fresh client here.
  const amServer = await startAutomergeServer(tempDir(), STREAMS)
  // Bounded at 10x Kiln's time (at least a minute): past that the ratio is "more than 10x".
  const amTimeoutMs = kilnCatchUpMs == null ? CATCH_UP_TIMEOUT_MS : Math.min(CATCH_UP_TIMEOUT_MS, Math.max(60_000, 10 * kilnCatchUpMs))
  const am = await automergeCatchUp(amServer, UPDATES, amTimeoutMs)
  await stopAutomergeServer(amServer)
  lines.push(`automerge-repo side by side (NodeFS server over its WebSocket adapter; no signatures): ${num(STREAMS)} docs of ${UPDATES + 1} changes written in ${secs(amServer.writeMs)}; a fresh client fetching all ${num(STREAMS)} by URL: ${secs(am.ms)} (${rate(am.complete, am.ms)} docs)${am.complete < STREAMS ? `, only ${num(am.complete)} complete (stopped at the timeout)` : ''}`)
  if (kilnCatchUpMs != null) {
    lines.push(am.complete === STREAMS
      ? `  catch-up ratio: Kiln (every commit verified) ${ratio(am.ms, kilnCatchUpMs)} automerge-repo`
      : `  catch-up ratio: Kiln (every commit verified) more than ${(am.ms / kilnCatchUpMs).toFixed(1)}x faster than automerge-repo (unfinished)`)
  }
}

if (WITH_REFERENCE && ORBIT_DOCS > 0) {
  // The same documents on OrbitDB: one Documents database, its server in its own process.
  const orbitServer = await startOrbitServer(tempDir(), ORBIT_DOCS)
  const entries = orbitServer.entries
  // Kiln's time for as many commits, 10x (at least two minutes): past that the ratio is "more than 10x".
  const orbitTimeoutMs = kilnCatchUpMs == null ? CATCH_UP_TIMEOUT_MS : Math.min(CATCH_UP_TIMEOUT_MS, Math.max(120_000, 10 * kilnCatchUpMs * entries / built.commits))
  const orbit = await orbitdbCatchUp(orbitServer, orbitTimeoutMs)
  await stopOrbitServer(orbitServer)
  const sized = ORBIT_DOCS === STREAMS
    ? ''
    : ` (N = ${num(ORBIT_DOCS)}, not ${num(STREAMS)}; BENCH_ORBITDB_SYNC_DOCS sets it: at these rates all ${num(STREAMS)} would take about ${((orbitServer.writeMs + orbit.ms) / entries * STREAMS * (UPDATES + 1) / 60_000).toFixed(0)} min to write and replicate)`
  lines.push(`OrbitDB 4 side by side (a Documents database on helia + LevelDB in its own process; signed entries; bitswap and gossipsub over the same loopback WebSockets, noise, yamux): ${num(ORBIT_DOCS)} docs of ${UPDATES + 1} changes (${num(entries)} entries) written in ${secs(orbitServer.writeMs)} (${rate(entries, orbitServer.writeMs)})${sized}`)
  lines.push(orbit.complete
    ? `  a fresh client (memory stores) dialing only it and opening the database's address held all ${num(entries)} entries (${num(orbit.docs ?? 0)} docs) after ${secs(orbit.ms)} (${rate(entries, orbit.ms)} entries)`
    : `  a fresh client dialing only it: unfinished after ${secs(orbit.ms)}, ${num(orbit.fetched)}/${num(entries)} entries fetched (${rate(orbit.fetched, orbit.ms)}; none in its log yet: OrbitDB adds a fetched history once all of it is verified; the AbortError it logged is this client being stopped)`)
  if (kilnCatchUpMs != null) {
    const perCommit = `time per change, ${num(built.commits)} commits vs ${num(entries)} entries`
    lines.push(orbit.complete
      ? `  catch-up ratio (${perCommit}): Kiln (every commit verified) ${ratio(orbit.ms / entries, kilnCatchUpMs / built.commits)} OrbitDB`
      : `  catch-up ratio (${perCommit}): Kiln (every commit verified) more than ${((orbit.ms / Math.max(1, orbit.fetched)) / (kilnCatchUpMs / built.commits)).toFixed(1)}x faster than OrbitDB (unfinished)`)
  }
}

// --- (2) update latency A -> server -> B -------------------------------------------------------
// An empty server peer of its own, so the latency is not mixed with a catch-up of its data.
const hub = await serve(tempDir())
const [a, b] = [await startPeer(22), await startPeer(23)]
for (const p of [a, b]) await p.libp2p.dial(multiaddr(hub.addr))
// Gossip reaches B only once A and B are in the hub's mesh: wait for B to get A's new stream.
const { id } = await a.node.create({ content: { n: 0 } })
const arrived = await waitFor(async () => await b.node.load(id).then(() => true, () => false), 15_000)
const seenAt = new Map<number, number>()
const waiters = new Map<number, () => void>()
b.node.subscribe(id, (s) => {
  const n = (s.content as { n: number }).n
  if (!seenAt.has(n)) seenAt.set(n, performance.now())
  waiters.get(n)?.()
})
const latencies: number[] = []
const writes: number[] = []
let lost = 0
for (let n = 1; arrived && n <= LATENCY_UPDATES; n++) {
  // One update at a time: A writes, then waits for B to see it (no queueing behind earlier ones).
  const start = performance.now()
  const seen = new Promise<boolean>((resolve) => {
    waiters.set(n, () => resolve(true))
    setTimeout(() => resolve(false), UPDATE_TIMEOUT_MS)
  })
  await a.node.update(id, { content: { n } })
  writes.push(performance.now() - start)
  if (await seen) latencies.push((seenAt.get(n) as number) - start)
  else lost++
  waiters.delete(n)
}
if (latencies.length > 0) {
  const l = [...latencies].sort((x, y) => x - y)
  const w = [...writes].sort((x, y) => x - y)
  lines.push(`update latency A -> server -> B (${LATENCY_UPDATES} sequential updates, A's call to B's subscriber): p50 ${pct(l, 0.5)} ms, p99 ${pct(l, 0.99)} ms, max ${l[l.length - 1].toFixed(1)} ms${lost > 0 ? `; ${lost} not seen within ${UPDATE_TIMEOUT_MS / 1000} s` : ''}`)
  lines.push(`  p50 ${atMost(Number(pct(l, 0.5)), GOALS.liveP50Ms)}; p99 ${atMost(Number(pct(l, 0.99)), GOALS.liveP99Ms)}${WITH_REFERENCE ? '; and ahead of both peers (their ratios below, each above 1x)' : ''}`)
  // Latency against the stream's length: the first and last 50 updates, each sorted for its median.
  const [early, late] = [latencies.slice(0, 50), latencies.slice(-50)].map((x) => pct([...x].sort((p, q) => p - q), 0.5))
  lines.push(`  of which A's local write (sign + store): p50 ${pct(w, 0.5)} ms, p99 ${pct(w, 0.99)} ms; p50 of updates 1-50 ${early} ms, of the last 50 ${late} ms`)
} else {
  lines.push(`update latency NOT measured: ${arrived ? `no update reached B within ${UPDATE_TIMEOUT_MS / 1000} s` : 'B never received the stream A created (15 s)'}`)
}
for (const p of [a, b]) await stopPeer(p)
await stopServer(hub)

/** A reference system's A -> server -> B latency line, and its ratio to Kiln's when Kiln's was measured. */
function referenceLatency (result: { latencies: number[], lost: number }, what: string, kiln: string, reference: string): string[] {
  const l = [...result.latencies].sort((x, y) => x - y)
  const out = [`${what}: p50 ${pct(l, 0.5)} ms, p99 ${pct(l, 0.99)} ms${result.lost > 0 ? `; ${result.lost} not seen within ${UPDATE_TIMEOUT_MS / 1000} s` : ''}`]
  if (latencies.length > 0) {
    const k = [...latencies].sort((x, y) => x - y)
    out.push(`  latency ratio: ${kiln} p50 ${ratio(Number(pct(l, 0.5)), Number(pct(k, 0.5)))}, p99 ${ratio(Number(pct(l, 0.99)), Number(pct(k, 0.99)))} ${reference}`)
  }
  return out
}

if (WITH_REFERENCE) {
  const amHub = await startAutomergeServer(tempDir(), 0)
  const amLatency = await automergeLatency(amHub, LATENCY_UPDATES, UPDATE_TIMEOUT_MS)
  await stopAutomergeServer(amHub)
  if (amLatency.latencies.length > 0) {
    lines.push(...referenceLatency(amLatency, 'automerge-repo, same path (client A -> its server -> client B\'s handle)', 'Kiln (signed, verified, stored on every hop)', 'automerge-repo'))
  }
}
if (WITH_REFERENCE) {
  const orbitHub = await startOrbitServer(tempDir(), 0)
  const orbitLatency = await orbitdbLatency(orbitHub, LATENCY_UPDATES, UPDATE_TIMEOUT_MS)
  await stopOrbitServer(orbitHub)
  if (orbitLatency.latencies.length > 0) {
    lines.push(...referenceLatency(orbitLatency, 'OrbitDB 4, same path (client A\'s put -> its server -> client B\'s database update)', 'Kiln', 'OrbitDB (both sign; B verifies each entry before it shows)'))
  } else {
    lines.push(`OrbitDB 4 latency NOT measured: ${orbitLatency.arrived ? `no update reached B within ${UPDATE_TIMEOUT_MS / 1000} s` : 'B never received A\'s first put (15 s)'}`)
  }
}
for (const d of dirs) rmSync(d, { recursive: true, force: true })

console.log(`\nsync over libp2p (WebSockets on 127.0.0.1, noise, yamux, gossipsub), Node ${process.version}`)
for (const line of lines) console.log(`  ${line}`)
for (const line of DIFFERENCES) console.log(`  ${line}`)
