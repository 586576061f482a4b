/**
 * Stream-core benchmark: commits built + signed + verified per second, and reducer throughput
 * over a 1,000-commit log, side by side with Ceramic's own stack (dids createDagJWS/verifyJWS)
 * doing the same work with the same key. Run: npm run bench
 */
import { DID } from 'dids'
import { Ed25519Provider } from 'key-did-provider-ed25519'
import { getResolver } from 'key-did-resolver'
import {
  StreamType, applyCommit, buildGenesis, buildSignedCommit, createDidKeySigner, createFromGenesis, dataCommit,
  loadCommit, loadStream, tileGenesis, tipOf, verifyCommit, type BlockSource, type StreamState
} from '../src/index.js'
import { useEd25519Platform } from '../src/identity/ed25519.js'
import { nodeEd25519 } from '../src/identity/ed25519-node.js'
import { GOALS, atLeast } from './goals.js'

const COMMITS = Number(process.env.BENCH_COMMITS ?? 1000)
const seed = new Uint8Array(32).fill(7)

function rate (count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString('en-US')}/s`
}

async function time<T> (fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await fn()
  return [result, performance.now() - start]
}

/** Where a commit's time goes in kilnWriteLog, summed over the run (ms). */
const noSteps = { 'build+sign': 0, 'store blocks': 0, 'load (decode, hash check)': 0, verify: 0, reduce: 0 }
let steps = { ...noSteps }
type Step = keyof typeof steps
async function step<T> (name: Step, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now()
  try { return await fn() } finally { steps[name] += performance.now() - start }
}

async function kilnWriteLog (): Promise<{ state: StreamState, source: BlockSource, ms: number }> {
  const signer = await createDidKeySigner(seed)
  const blocks = new Map<string, Uint8Array>()
  const source: BlockSource = async (cid) => blocks.get(cid.toString())
  const genesis = await buildGenesis(StreamType.TILE, tileGenesis({ controller: signer.id, content: { n: 0 } }), signer)
  for (const b of genesis.blocks) blocks.set(b.cid.toString(), b.bytes)
  let { state } = await createFromGenesis(genesis.streamId, source)
  const [, ms] = await time(async () => {
    for (let i = 1; i <= COMMITS; i++) {
      // build + sign, then verify exactly as a remote commit is verified, then reduce
      const prev = state
      const commit = await step('build+sign', async () => await buildSignedCommit(dataCommit({ genesis: prev.id.cid, prev: tipOf(prev), patch: [{ op: 'replace', path: '/n', value: i }] }), signer))
      await step('store blocks', () => { for (const b of commit.blocks) blocks.set(b.cid.toString(), b.bytes) })
      const raw = await step('load (decode, hash check)', async () => await loadCommit(commit.cid, source))
      const verified = await step('verify', async () => await verifyCommit(raw, { streamId: prev.id, controller: signer.id }))
      state = await step('reduce', () => applyCommit(prev, verified, { streamId: prev.id }))
    }
  })
  return { state, source, ms }
}

async function ceramicStackWrite (): Promise<number> {
  const did = new DID({ provider: new Ed25519Provider(seed), resolver: getResolver() })
  await did.authenticate()
  const [, ms] = await time(async () => {
    for (let i = 1; i <= COMMITS; i++) {
      const { jws } = await did.createDagJWS({ data: [{ op: 'replace', path: '/n', value: i }], n: i })
      await did.verifyJWS(jws)
    }
  })
  return ms
}

// As in a browser (WebCrypto), then as kiln/node and the CLI run (node:crypto, ed25519-node.ts).
useEd25519Platform()
const { ms: webMs } = await kilnWriteLog()
const webSteps = steps
steps = { ...noSteps }
useEd25519Platform(nodeEd25519)
const { state, source, ms: kilnMs } = await kilnWriteLog()
const ceramicMs = process.env.BENCH_SKIP_CERAMIC != null ? NaN : await ceramicStackWrite()
const [, loadMs] = await time(async () => await loadStream(state.id, tipOf(state), source))
const [, reduceMs] = await time(async () => {
  // Reducer alone: fold already-verified commits (what a load costs once blocks are verified).
  const verified = []
  let s: StreamState | undefined
  for (const entry of state.log) {
    const raw = await loadCommit(entry.cid, source)
    verified.push(await verifyCommit(raw, { streamId: state.id, controller: state.metadata.controllers[0] }))
  }
  const start = performance.now()
  for (const commit of verified) s = applyCommit(s, commit, { streamId: state.id })
  return performance.now() - start
}).then(([reduce]) => [undefined, reduce] as const)

console.log(`stream core, ${COMMITS} commits, Node ${process.version}`)
const perCommit = (split: typeof steps): string => Object.entries(split).map(([name, ms]) => `${name} ${Math.round(ms * 1000 / COMMITS)} µs`).join(', ')
console.log(`  build+sign+verify+reduce  kiln, WebCrypto (as in browsers)     ${rate(COMMITS, webMs)}   ${atLeast(COMMITS / (webMs / 1000), GOALS.corePerSec)}`)
console.log(`    per commit: ${perCommit(webSteps)}`)
console.log(`  build+sign+verify+reduce  kiln, node:crypto (kiln/node, CLI)   ${rate(COMMITS, kilnMs)}   ${atLeast(COMMITS / (kilnMs / 1000), GOALS.corePerSec)}; ${(webMs / kilnMs).toFixed(2)}x WebCrypto`)
console.log(`    per commit: ${perCommit(steps)}`)
console.log(`  createDagJWS+verifyJWS    ceramic (dids)  ${rate(COMMITS, ceramicMs)}   kiln/ceramic = ${(ceramicMs / kilnMs).toFixed(1)}x (node:crypto), ${(ceramicMs / webMs).toFixed(1)}x (WebCrypto)`)
console.log(`  load ${state.log.length}-commit log (verify all) kiln    ${loadMs.toFixed(0)} ms (${rate(state.log.length, loadMs)})`)
console.log(`  reducer only, ${state.log.length} commits          ${reduceMs.toFixed(1)} ms (${rate(state.log.length, reduceMs)})`)
