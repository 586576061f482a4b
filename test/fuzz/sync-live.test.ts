import * as dagCbor from '@ipld/dag-cbor'
import type { Stream } from '@libp2p/interface'
import { varint } from 'multiformats'
import { afterAll, expect, it } from 'vitest'
import { RateLimitedError, SyncProtocolError } from '../../src/errors.js'
import { EVENT_ID_MAX, EVENT_ID_MIN } from '../../src/ids/event-id.js'
import { BLOCKS_PROTOCOL, HEADS_PROTOCOL, RECON_PROTOCOL } from '../../src/sync/constants.js'
import { encodeFrame } from '../../src/sync/frames.js'
import { createReconIndex } from '../../src/sync/recon-index.js'
import { sha256aBytes } from '../../src/sync/sha256a.js'
import { type Rng, concat, fuzzRuns, mutateBytes, mutateValue, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'
import { type RoguePeer, startRoguePeer } from '../fixtures/rogue-peer.js'
import { LOOPBACK_WS, type TestPeer, contents, isSyncPeer, startPeer, waitFor } from '../sync/peers.js'

/**
 * Mutated frames of the heads, blocks and Recon protocols over real libp2p streams (WebSockets on
 * loopback), from the rogue peer to a real node running sync. Each input is judged by what the
 * node did: it penalized the sender (it refused with a typed SyncProtocolError or RateLimitedError),
 * or answered and closed the stream cleanly (accepted); a stream reset with no penalty is a crash
 * (the node threw something untyped); no end within the timeout is a hang. A banned rogue is
 * replaced by a fresh one (a new peer id). Afterwards the node still serves and syncs, and its
 * store is as it was.
 */
const RUNS = fuzzRuns(150, 0.05)
const PROTOCOLS = [HEADS_PROTOCOL, BLOCKS_PROTOCOL, RECON_PROTOCOL] as const

const running: Array<{ stop: () => Promise<void> }> = []
afterAll(async () => { await Promise.all(running.map(async (p) => await p.stop())) })

/** Sends `bytes` on a new `protocol` stream, closes our side, and reads until the far side ends. */
async function exchange (stream: Stream, bytes: Uint8Array): Promise<{ answer: Uint8Array, reset: boolean }> {
  const chunks: Uint8Array[] = []
  const read = (async () => {
    try {
      for await (const chunk of stream) chunks.push(chunk instanceof Uint8Array ? chunk : chunk.subarray())
      return false
    } catch {
      return true
    }
  })()
  try {
    if (bytes.length > 0 && !stream.send(bytes)) await stream.onDrain()
    await stream.close()
  } catch { /* the node may reset the stream before we finish sending */ }
  const reset = await read
  return { answer: concat(...chunks), reset }
}

it(`${RUNS} mutated protocol streams from a rogue peer over libp2p: refused typed, the node stays up, its store unchanged`, async () => {
  const victim = await startPeer('victim')
  running.push(victim)
  const model = await victim.node.create({ content: { n: 1 } })
  const updated = await victim.node.update(model.id, { content: { n: 2 } })
  const other = await victim.node.create({ content: { other: true } })
  const heldBefore = await contents(victim.node)
  const statsBefore = await victim.node.stats()
  const index = createReconIndex({ node: victim.node, log: () => {} })
  await index.idle()
  const whole = index.summary(EVENT_ID_MIN, EVENT_ID_MAX)
  const controller = (await victim.node.find(model.id))?.controller as string
  const samples: Record<string, unknown[]> = {
    [HEADS_PROTOCOL]: [{ streams: [model.id, other.id] }, { query: { controller }, limit: 5 }, { streams: [model.id], times: true }],
    [BLOCKS_PROTOCOL]: [{ cids: [model.tip, updated.tip] }, { cids: [other.tip] }],
    [RECON_PROTOCOL]: [
      { items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, count: whole.count, hash: sha256aBytes(whole.hash) }] },
      { items: [{ first: EVENT_ID_MIN, last: EVENT_ID_MAX, keys: index.list(EVENT_ID_MIN, EVENT_ID_MAX, 10), want: true }] }
    ]
  }

  let rogue: RoguePeer | undefined
  let rogues = 0
  const connectedRogue = async (): Promise<RoguePeer> => {
    const banned = rogue != null && (victim.denyList.isDenied(rogue.libp2p.peerId.toString()) || victim.libp2p.getConnections(rogue.libp2p.peerId).length === 0)
    if (rogue != null && !banned) return rogue
    if (rogue != null) await rogue.stop()
    rogue = await startRoguePeer({ listen: [LOOPBACK_WS], signer: await kilnSigner('mallory') })
    rogues++
    await dialInTurn(rogue.libp2p, victim)
    return rogue
  }

  const frames = (rng: Rng, protocol: string): Uint8Array => {
    const parts: Uint8Array[] = []
    for (let n = protocol === RECON_PROTOCOL ? 1 + rng.int(3) : 1; n > 0; n--) {
      const value = dagCbor.decode(dagCbor.encode(rng.pick(samples[protocol])))
      try {
        parts.push(encodeFrame(rng.chance(0.5) ? mutateValue(rng, value) : value))
      } catch {
        parts.push(encodeFrame(value))
      }
    }
    const bytes = concat(...parts)
    return rng.chance(0.5) ? mutateBytes(rng, bytes, samples[protocol].map(encodeFrame)) : bytes
  }

  const result = await runFuzz({
    name: 'sync live (heads, blocks, recon over libp2p)',
    runs: RUNS,
    timeoutMs: 20_000,
    input: (rng) => { const protocol = rng.pick(PROTOCOLS); return { protocol, bytes: frames(rng, protocol) } },
    async run ({ protocol, bytes }) {
      const peer = await connectedRogue()
      const penalties = victim.sync.status().penalties
      const stream = await peer.libp2p.dialProtocol(victim.libp2p.peerId, protocol)
      const { answer, reset } = await exchange(stream, bytes)
      if (victim.sync.status().penalties > penalties) throw new SyncProtocolError('The node refused the stream and penalized its sender')
      if (reset) throw new Error(`The node reset the stream without a typed refusal (${answer.length} answer bytes)`)
      if (answer.length > 0 && protocol !== RECON_PROTOCOL) {
        const [length, offset] = varint.decode(answer)
        const first = dagCbor.decode(answer.subarray(offset, offset + length)) as { error?: unknown }
        if (first?.error === 'rate-limited') throw new RateLimitedError('The node refused the request over the sender\'s rate')
      }
      return answer
    },
    async lost () {
      const now = await contents(victim.node)
      return Object.keys(heldBefore).filter((id) => JSON.stringify(now[id]) !== JSON.stringify(heldBefore[id])).length +
        (JSON.stringify(await victim.node.stats()) === JSON.stringify(statsBefore) ? 0 : 1)
    },
    show: ({ protocol, bytes }) => `${protocol} ${Buffer.from(bytes).toString('hex')}`
  })
  console.log(`(sync live: ${rogues} rogue peers used, ${victim.sync.status().banned} banned, ${victim.sync.status().penalties} penalties)`)
  if (rogue != null) await rogue.stop()
  expect(result.failures).toEqual([])
  expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 4)

  // Still up: an honest peer connects, the node pulls its new write and serves its own. (By catch-up,
  // not gossip: after this many peer ids from 127.0.0.1, gossipsub's IP-colocation score graylists
  // any newcomer from that address, the honest peer included.)
  const honest = await startPeer('honest')
  running.push(honest)
  await dialInTurn(honest.libp2p, victim)
  await waitFor(() => isSyncPeer(honest, victim) && isSyncPeer(victim, honest), 'the honest peer and the node to see each other')
  const good = await honest.node.create({ content: { still: 'fine' } })
  await victim.sync.syncNow()
  await honest.sync.syncNow()
  expect((await contents(victim.node))[good.id]?.tip).toBe(good.tip)
  expect(Object.fromEntries(Object.entries(await contents(victim.node)).filter(([id]) => id !== good.id))).toEqual(heldBefore)
  const served = await contents(honest.node)
  for (const id of Object.keys(heldBefore)) expect(served[id]).toEqual(heldBefore[id])
}, 180_000)

/** libp2p limits new inbound connections per address and second: a new peer from 127.0.0.1 (a fresh rogue, the honest peer after them) may have to wait its turn. */
async function dialInTurn (from: { dial: TestPeer['libp2p']['dial'] }, to: TestPeer): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await from.dial(to.libp2p.getMultiaddrs()[0])
      return
    } catch (err) {
      if (attempt === 10) throw err
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt))
    }
  }
}
