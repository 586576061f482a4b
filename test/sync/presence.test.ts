import { afterEach, describe, expect, it } from 'vitest'
import { hasCode, InvalidSignatureError, NoSignerError, OversizeError, RateLimitedError, SyncProtocolError } from '../../src/errors.js'
import type { Signer } from '../../src/identity/signer.js'
import { MAX_PRESENCE_STATE_BYTES, PRESENCE_BURST, PRESENCE_TTL_MS } from '../../src/sync/constants.js'
import { createKilnLibp2p, type KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { createDenyList, createPeerScore, type PeerScore } from '../../src/sync/peer-score.js'
import { type Presence, openPresence, presenceTopic, signPresence, startPresence } from '../../src/sync/presence.js'
import { kilnSigner } from '../fixtures/identities.js'
import { LOOPBACK_WS, waitFor } from './peers.js'

// Any StreamID names a presence topic; presence never reads the stream.
const STREAM = 'kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa'
const OTHER_STREAM = 'kjzl6kcym7w8y7b5tpz0f8xpobnx1dtdqcjxyb4mu8dlftmfvjgjlhqhy4vqp9u'

interface PresencePeerNode { libp2p: KilnLibp2p, presence: Presence, score: PeerScore, signer?: Signer, clock: { now: number | undefined } }
const running: PresencePeerNode[] = []
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.presence.stop()
    await p.libp2p.stop()
  }
})

/** A libp2p node on loopback with presence; with a signer name it has a key of its own (a browser), else it only passes presence on. */
async function node (signerName?: string): Promise<PresencePeerNode> {
  const libp2p = await createKilnLibp2p({ listen: [LOOPBACK_WS] })
  const score = createPeerScore({ denyList: createDenyList(), onBan: () => {}, log: libp2p.logger.forComponent('test:score') })
  const signer = signerName == null ? undefined : await kilnSigner(signerName)
  const clock: { now: number | undefined } = { now: undefined }
  const presence = startPresence({ libp2p, score, log: libp2p.logger.forComponent('test:presence'), signer, now: () => clock.now ?? Date.now() })
  const p = { libp2p, presence, score, signer, clock }
  running.push(p)
  return p
}

const dial = async (a: PresencePeerNode, b: PresencePeerNode): Promise<void> => { await a.libp2p.dial(b.libp2p.getMultiaddrs()[0]) }
/** Waits until `a` counts `b` among the subscribers of `stream`'s presence topic (gossip can reach it). */
const meshed = async (a: PresencePeerNode, b: PresencePeerNode, stream = STREAM): Promise<void> => {
  await waitFor(() => a.libp2p.services.pubsub.getSubscribers(presenceTopic(stream)).some((p) => p.equals(b.libp2p.peerId)), 'the presence subscription to spread')
}

async function refusal (promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    return (err as { code: string }).code
  }
  return 'accepted'
}

describe('presence messages: signed by the device key, checked on receipt', () => {
  it('a message opens to what was signed; one changed after signing, or naming another stream or sender, is refused with a typed error', async () => {
    const signer = await kilnSigner('alice')
    const payload = { stream: STREAM, did: signer.id, peer: 'peer-a', at: 1_000, state: { cursor: 3 } }
    const data = await signPresence(payload, signer)
    expect(await openPresence(data, { stream: STREAM, peer: 'peer-a' })).toEqual(payload)

    const outer = JSON.parse(new TextDecoder().decode(data)) as { payload: string, sig: string }
    const changed = new TextEncoder().encode(JSON.stringify({ ...outer, payload: outer.payload.replace('"cursor":3', '"cursor":4') }))
    expect(await refusal(openPresence(changed, { stream: STREAM, peer: 'peer-a' }))).toBe(InvalidSignatureError.code)
    const mallory = await kilnSigner('mallory')
    const claimed = new TextEncoder().encode(JSON.stringify({ ...outer, payload: outer.payload.replace(signer.id, mallory.id) }))
    expect(await refusal(openPresence(claimed, { stream: STREAM, peer: 'peer-a' }))).toBe(InvalidSignatureError.code)
    // Replayed on another stream's topic, or passed off as another peer's.
    expect(await refusal(openPresence(data, { stream: OTHER_STREAM, peer: 'peer-a' }))).toBe(SyncProtocolError.code)
    expect(await refusal(openPresence(data, { stream: STREAM, peer: 'peer-b' }))).toBe(SyncProtocolError.code)
    expect(await refusal(openPresence(new TextEncoder().encode('{"payload":1}'), { stream: STREAM, peer: 'peer-a' }))).toBe(SyncProtocolError.code)
  })

  it('a state past the size cap is neither signed nor accepted', async () => {
    const signer = await kilnSigner('alice')
    const big = { text: 'x'.repeat(MAX_PRESENCE_STATE_BYTES) }
    expect(await refusal(signPresence({ stream: STREAM, did: signer.id, peer: 'p', at: 1, state: big }, signer))).toBe(OversizeError.code)
    // Signed by hand, as a peer that skips the check would.
    const text = JSON.stringify({ stream: STREAM, did: signer.id, peer: 'p', at: 1, state: big })
    const sig = await signer.sign(new TextEncoder().encode(text))
    const data = new TextEncoder().encode(JSON.stringify({ payload: text, sig: Buffer.from(sig).toString('base64url') }))
    expect(await refusal(openPresence(data, { stream: STREAM, peer: 'p' }))).toBe(OversizeError.code)
  })
})

describe('presence between peers over WebSockets', () => {
  it('a browser sees another\'s presence on a stream, directly and through a server peer that only passes it on, and sees it go when it leaves', async () => {
    const [a, b, c] = [await node('alice'), await node('bob'), await node('carol')]
    const server = await node()
    await dial(a, b)
    await dial(c, server)
    await dial(a, server)
    expect(b.presence.peers(STREAM)).toEqual([])
    expect(c.presence.peers(STREAM)).toEqual([])
    await meshed(a, b)
    await waitFor(() => server.presence.watching().includes(STREAM), 'the server peer to join the topic its peers joined')
    await meshed(server, c)
    await meshed(a, server)

    await a.presence.set(STREAM, { cursor: 7, typing: true })
    const expected = [{ did: a.signer!.id, peer: a.libp2p.peerId.toString(), state: { cursor: 7, typing: true }, at: expect.any(Number) }]
    await waitFor(() => b.presence.peers(STREAM).length === 1, 'B to see A directly')
    expect(b.presence.peers(STREAM)).toEqual(expected)
    await waitFor(() => c.presence.peers(STREAM).length === 1, 'C to see A through the server peer')
    expect(c.presence.peers(STREAM)).toEqual(expected)
    // Not on another stream, and the server peer keeps none (it has no one to show it to).
    expect(b.presence.peers(OTHER_STREAM)).toEqual([])

    await a.presence.set(STREAM, null)
    await waitFor(() => b.presence.peers(STREAM).length === 0 && c.presence.peers(STREAM).length === 0, 'A\'s leaving to reach B and C')
  })

  it('a presence expires PRESENCE_TTL_MS after it was sent', async () => {
    const [a, b] = [await node('alice'), await node('bob')]
    await dial(a, b)
    b.presence.peers(STREAM)
    await meshed(a, b)
    await a.presence.set(STREAM, 'here')
    await waitFor(() => b.presence.peers(STREAM).length === 1, 'B to see A')
    b.clock.now = Date.now() + PRESENCE_TTL_MS - 1_000
    expect(b.presence.peers(STREAM).map((p) => p.state)).toEqual(['here'])
    b.clock.now = Date.now() + PRESENCE_TTL_MS + 1
    expect(b.presence.peers(STREAM)).toEqual([])
  })

  it('past the rate the local caller gets ERR_RATE_LIMITED; a peer that floods has the rest dropped and is scored down', async () => {
    const [a, b] = [await node('alice'), await node('bob')]
    await dial(a, b)
    b.presence.peers(STREAM)
    await meshed(a, b)
    // All at once, so no token comes back in between.
    const codes = await Promise.all(Array.from({ length: PRESENCE_BURST + 1 }, async (_, i) => await refusal(a.presence.set(STREAM, { cursor: i }))))
    expect(codes.slice(0, PRESENCE_BURST).every((c) => c === 'accepted')).toBe(true)
    expect(codes[PRESENCE_BURST]).toBe(RateLimitedError.code)

    // A flood sent around the local limit (straight to gossipsub) counts against its sender.
    const idA = a.libp2p.peerId.toString()
    const before = b.score.score(idA)
    // Signed first and sent back to back, so a loaded machine does not space them out past the refill.
    const flood = await Promise.all(Array.from({ length: 3 * PRESENCE_BURST }, async (_, i) => await signPresence({ stream: STREAM, did: a.signer!.id, peer: idA, at: Date.now(), state: { flood: i } }, a.signer!)))
    await Promise.all(flood.map(async (data) => await a.libp2p.services.pubsub.publish(presenceTopic(STREAM), data)))
    await waitFor(() => b.score.score(idA) < before, 'B to score A down for the flood')
    // B shows the last presence it took, not the flood's end.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const shown = b.presence.peers(STREAM)[0]?.state as { flood?: number } | undefined
    expect(shown?.flood ?? -1).toBeLessThan(3 * PRESENCE_BURST - 1)
  })

  it('a forged presence (signature not the sender\'s) is refused and scores its sender down', async () => {
    const [a, b] = [await node('alice'), await node('bob')]
    await dial(a, b)
    b.presence.peers(STREAM)
    await meshed(a, b)
    const idA = a.libp2p.peerId.toString()
    const bob = await kilnSigner('bob')
    // Claims to be Bob's device but is signed with Alice's key.
    const forged = await signPresence({ stream: STREAM, did: bob.id, peer: idA, at: Date.now(), state: 'I am Bob' }, { id: bob.id, sign: a.signer!.sign })
    await a.libp2p.services.pubsub.publish(presenceTopic(STREAM), forged)
    await waitFor(() => b.score.score(idA) < 0, 'B to score A down')
    expect(b.score.penalties).toBe(1)
    expect(b.presence.peers(STREAM)).toEqual([])
  })

  it('a node without a key passes presence on but cannot set one', async () => {
    const server = await node()
    expect(hasCode(await server.presence.set(STREAM, 'x').catch((err: unknown) => err), NoSignerError)).toBe(true)
  })
})
