import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { SyncProtocolError } from '../../src/errors.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { ownRelayedAddrs } from '../../src/sync/direct-peers.js'
import { decodeMessage, encodeUpdate } from '../../src/sync/messages.js'
import { type PresencePayload, openPresence, signPresence } from '../../src/sync/presence.js'
import { type Rng, fuzzRuns, mutateBytes, mutateJson, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'

/**
 * Gossip messages into their decoders: the Ceramic UPDATE/QUERY pubsub message (decodeMessage,
 * which the topic validator runs on every message), presence (openPresence: JSON, device
 * signature, names) and direct-peer announcements (the addresses a browser may announce).
 */
const RUNS = fuzzRuns(600)
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

const pick = (rng: Rng, samples: Uint8Array[]): Uint8Array => {
  const sample = rng.pick(samples)
  return rng.chance(0.5) ? mutateJson(rng, sample, samples) : mutateBytes(rng, sample, samples)
}

describe('gossip messages', async () => {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
  const tile = await node.create({ content: { n: 1 } })
  const carried = [{ cid: CID.parse(tile.tip), bytes: await node.block(tile.tip) as Uint8Array }]
  await node.close()
  const [STREAM, TIP] = [tile.id, tile.tip]
  const PEER = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const RELAY = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()

  it(`UPDATE/QUERY: ${RUNS} mutated pubsub messages decode or are refused typed`, async () => {
    const samples = [
      encodeUpdate({ stream: STREAM, tip: TIP }),
      encodeUpdate({ stream: STREAM, tip: TIP, model: STREAM }),
      encodeUpdate({ stream: STREAM, tip: TIP, blocks: carried }), // a small run's blocks ride along
      text(JSON.stringify({ typ: 1, id: 'x', stream: STREAM })),
      text(JSON.stringify({ typ: 2, id: 'x', tips: { [STREAM]: TIP } })),
      text(JSON.stringify({ typ: 3, ts: 1, ver: '2' }))
    ]
    const result = await runFuzz({
      name: 'gossip update',
      runs: RUNS,
      input: (rng) => pick(rng, samples),
      async run (bytes) {
        const decoded = decodeMessage(bytes)
        if (!decoded.ok) throw decoded.error
        return decoded
      }
    })
    expect(result.failures).toEqual([])
    expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 4)
  })

  it(`presence: ${RUNS} mutated presence messages are refused typed (or verify)`, async () => {
    const device = await kilnSigner('device-alice')
    const payload: PresencePayload = { stream: STREAM, did: device.id, peer: PEER, at: 1_700_000_000_000, state: { cursor: [1, 2], typing: true } }
    const samples = [
      await signPresence(payload, device),
      await signPresence({ ...payload, state: null }, device),
      await signPresence({ ...payload, state: 'x'.repeat(900) }, device)
    ]
    await openPresence(samples[0], { stream: STREAM, peer: PEER }) // the samples verify
    const result = await runFuzz({
      name: 'gossip presence',
      runs: RUNS,
      async input (rng) {
        if (rng.chance(0.7)) return pick(rng, samples)
        // The signed payload itself bent, then signed again: what a sender with a key can send.
        const inner = JSON.parse(JSON.parse(new TextDecoder().decode(rng.pick(samples))).payload as string) as PresencePayload
        const bent = JSON.parse(new TextDecoder().decode(mutateJson(rng, text(JSON.stringify(inner))))) as PresencePayload
        const sig = await device.sign(text(JSON.stringify(bent)))
        return text(JSON.stringify({ payload: JSON.stringify(bent), sig: Buffer.from(sig).toString('base64url') }))
      },
      run: async (bytes) => await openPresence(bytes, { stream: STREAM, peer: PEER })
    })
    expect(result.failures).toEqual([])
    expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 2)
  })

  it(`direct peers: ${RUNS} mutated announcements are refused unless they name the sender's own relayed WebRTC addresses`, async () => {
    const own = `/ip4/127.0.0.1/tcp/4001/ws/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`
    const samples = [
      text(JSON.stringify({ addrs: [own], epoch: 3 })),
      text(JSON.stringify({ addrs: [own, `/dns4/relay.example/tcp/443/wss/p2p/${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`], epoch: 0 }))
    ]
    expect(ownRelayedAddrs(PEER, samples[0])).toHaveLength(1)
    const result = await runFuzz({
      name: 'gossip direct-peers',
      runs: RUNS,
      input: (rng) => pick(rng, samples),
      async run (bytes) {
        // The announcement's verdict is the topic validator's: Reject (counted against the sender) when undefined.
        const addrs = ownRelayedAddrs(PEER, bytes)
        if (addrs == null) throw new SyncProtocolError('Rejected: not the sender\'s own relayed WebRTC addresses')
        return addrs
      }
    })
    expect(result.failures).toEqual([])
  })
})
