/**
 * Anchors on a real EVM (ganache on loopback): one node writes N streams, anchors all their tips
 * in one batch (tree, one transaction, N time events written and verified), then a fresh node
 * verifies the N anchored streams — with a validator that has seen nothing (one RPC round for the
 * shared transaction, then its cache) and again with a warm one. Run: npm run bench
 */
// Kiln in Node as kiln/node runs it: Ed25519 on node:crypto.
import '../src/identity/ed25519-node.js'
import { startEvmAnchorer } from '../src/anchors/evm-anchorer.js'
import { buildAnchorTree } from '../src/anchors/anchor-tree.js'
import { evmAnchorValidator } from '../src/anchors/evm-anchors.js'
import { createDidKeySigner } from '../src/identity/signer.js'
import { silentLogger } from '../src/logger.js'
import { createStreamNode } from '../src/node/stream-node.js'
import { createMemoryStore } from '../src/store/memory-store.js'
import { CID } from 'multiformats/cid'
import { startEvmChain } from '../test/fixtures/evm-chain.js'

const N = Number(process.env.BENCH_ANCHORS ?? 10_000)
const chain = await startEvmChain()
const chains = { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } }
const writer = createStreamNode({ store: createMemoryStore(), signer: await createDidKeySigner(new Uint8Array(32).fill(7)), anchorValidator: evmAnchorValidator({ chains }) })
const ids: string[] = []
for (let from = 0; from < N; from += 500) {
  const batch = await writer.writeMany([...Array(Math.min(500, N - from)).keys()].map((i) => ({ create: { content: { n: from + i } } })))
  ids.push(...batch.map((s) => s.id))
}

const tips = await Promise.all(ids.map(async (id) => ({ stream: id, tip: CID.parse((await writer.load(id)).tip) })))
let started = performance.now()
await buildAnchorTree(tips)
const treeMs = performance.now() - started

const anchorer = startEvmAnchorer({ node: writer, chainId: chain.chainId, rpcUrl: chain.rpcUrl, privateKey: chain.fundedKey, confirmations: 1, intervalMs: 0, pollingIntervalMs: 50, log: silentLogger })
for (const id of ids) anchorer.request(id)
started = performance.now()
const batch = await anchorer.anchorNow()
const anchorMs = performance.now() - started
await anchorer.stop()
if (batch?.streams !== N || batch.failed !== 0) throw new Error(`anchored ${batch?.streams ?? 0} of ${N}, ${batch?.failed ?? 0} failed`)

const cars = await Promise.all(ids.map(async (id) => await writer.exportCar(id)))
async function verifyAll (validator: ReturnType<typeof evmAnchorValidator>): Promise<number> {
  const reader = createStreamNode({ store: createMemoryStore(), anchorValidator: validator })
  const begin = performance.now()
  for (const car of cars) await reader.importCar(car)
  const ms = performance.now() - begin
  await reader.close()
  return ms
}
const validator = evmAnchorValidator({ chains })
const coldMs = await verifyAll(validator)
const warmMs = await verifyAll(validator)
await writer.close()
await chain.close()

const rate = (ms: number): string => `${Math.round(N / (ms / 1000)).toLocaleString('en-US')}/s`
console.log(`anchors (ganache on loopback, ${N.toLocaleString('en-US')} streams, one transaction)`)
console.log(`  batch tree of ${N.toLocaleString('en-US')} tips     ${treeMs.toFixed(0).padStart(7)} ms`)
console.log(`  anchor batch (tree, tx, ${N.toLocaleString('en-US')} time events written)  ${anchorMs.toFixed(0).padStart(7)} ms  ${rate(anchorMs)}`)
console.log(`  verify ${N.toLocaleString('en-US')} anchored streams, new validator ${coldMs.toFixed(0).padStart(7)} ms  ${rate(coldMs)}`)
console.log(`  verify again, cached validator           ${warmMs.toFixed(0).padStart(7)} ms  ${rate(warmMs)}`)
