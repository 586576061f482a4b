import { CID } from 'multiformats/cid'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeEnvelope } from '../../src/commits/jws.js'
import { BLOCKS_PROTOCOL, BLOCK_PROTOCOLS, DEFAULT_TOPIC, HEADS_PROTOCOL, MAX_UPDATE_MESSAGE_BYTES } from '../../src/sync/constants.js'
import { encodeFrame } from '../../src/sync/frames.js'
import type { KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { encodeUpdate } from '../../src/sync/messages.js'
import { kilnSigner } from '../fixtures/identities.js'
import { type RoguePeer, forgeSignature, startRoguePeer } from '../fixtures/rogue-peer.js'
import { LOOPBACK_WS, type TestPeer, connect, contents, startPeer, waitFor } from './peers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map(async (stop) => await stop()))
})

async function peer (name: string): Promise<TestPeer> {
  const p = await startPeer(name)
  cleanups.push(p.stop)
  return p
}

/** A peer that runs no Kiln sync of its own: it announces and serves whatever the test wants. */
async function rogue (): Promise<RoguePeer> {
  const r = await startRoguePeer({ listen: [LOOPBACK_WS], signer: await kilnSigner('mallory') })
  cleanups.push(r.stop)
  return r
}

async function blockOf (evil: RoguePeer, cid: CID): Promise<{ cid: CID, bytes: Uint8Array }> {
  return { cid, bytes: await evil.node.block(cid.toString()) as Uint8Array }
}

async function dialAndSubscribe (from: KilnLibp2p, to: TestPeer): Promise<void> {
  await from.dial(to.libp2p.getMultiaddrs()[0])
  await waitFor(() => from.services.pubsub.getSubscribers(DEFAULT_TOPIC).some((p) => p.equals(to.libp2p.peerId)), 'the rogue to see the victim\'s subscription')
}

describe('sync: misbehaving peers', () => {
  it('a peer announcing forged commits is scored down, disconnected and refused, while valid data from another peer still arrives', async () => {
    const victim = await peer('victim')
    const honest = await peer('honest')
    await connect(honest, victim)
    const evil = await rogue()
    await dialAndSubscribe(evil.libp2p, victim)

    const stream = await evil.node.create({ content: { v: 1 } })
    const real = await evil.node.update(stream.id, { content: { v: 2 } })
    for (const byte of [10, 20]) {
      const forgery = await forgeSignature(await evil.node.block(real.tip) as Uint8Array, byte)
      evil.forged.set(forgery.cid, forgery.bytes)
      await evil.libp2p.services.pubsub.publish(DEFAULT_TOPIC, encodeUpdate({ stream: stream.id, tip: forgery.cid }))
    }
    await waitFor(() => victim.sync.status().banned === 1, 'the victim to ban the rogue peer')
    expect(victim.sync.status().invalid).toBe(2)
    await waitFor(() => victim.libp2p.getConnections(evil.libp2p.peerId).length === 0, 'the rogue peer to be disconnected')
    // Its redial is refused by the victim's connection gater (the dialer may or may not see an error first).
    await evil.libp2p.dial(victim.libp2p.getMultiaddrs()[0]).catch(() => undefined)
    await waitFor(() => evil.libp2p.getConnections(victim.libp2p.peerId).length === 0, 'the redial to be dropped')
    expect(victim.libp2p.getConnections(evil.libp2p.peerId)).toHaveLength(0)
    expect(victim.denyList.isDenied(evil.libp2p.peerId.toString())).toBe(true)
    // Nothing forged was stored, and honest writes keep flowing.
    expect(await contents(victim.node)).toEqual({})
    const good = await honest.node.create({ content: { fine: true } })
    await waitFor(async () => (await contents(victim.node))[good.id]?.tip === good.tip, 'the honest write to arrive')
  })

  it('forged commits carried inside announcements (bytes that do not hash to their CID, a bad signature) are refused and get the sender banned', async () => {
    const victim = await peer('victim')
    const evil = await rogue()
    await evil.libp2p.unhandle([...BLOCK_PROTOCOLS]) // it serves nothing: the UPDATE is all the victim gets
    await dialAndSubscribe(evil.libp2p, victim)
    const stream = await evil.node.create({ content: { v: 1 } })
    const envelope = await evil.node.block(stream.tip) as Uint8Array
    const payload = await blockOf(evil, decodeEnvelope(envelope).payloadCid)
    // An honest tip carried with another block's bytes under its CID: the hash check refuses it.
    const other = await evil.node.create({ content: { v: 2 } })
    await evil.libp2p.services.pubsub.publish(DEFAULT_TOPIC, encodeUpdate({ stream: other.id, tip: other.tip, blocks: [{ cid: CID.parse(other.tip), bytes: envelope }, payload] }))
    await waitFor(() => victim.sync.status().invalid === 1, 'the mismatched block to be refused')
    // A forged signature, carried with the real payload.
    const forgery = await forgeSignature(envelope, 10)
    await evil.libp2p.services.pubsub.publish(DEFAULT_TOPIC, encodeUpdate({ stream: stream.id, tip: forgery.cid, blocks: [{ cid: CID.parse(forgery.cid), bytes: forgery.bytes }, payload] }))
    await waitFor(() => victim.sync.status().banned === 1, 'the victim to ban the rogue peer')
    expect(victim.sync.status().invalid).toBe(2)
    expect(await contents(victim.node)).toEqual({})
    // The mismatched bytes did not mark the real tip invalid: an honest peer holding it delivers it.
    const honest = await peer('honest')
    await honest.node.importCar(await evil.node.exportCar(other.id))
    await connect(honest, victim)
    await honest.sync.syncNow()
    await waitFor(async () => (await contents(victim.node))[other.id]?.tip === other.tip, 'the honest copy of the tip to arrive')
  })

  it('malformed and oversize messages and protocol requests are refused without crashing, and count against the sender', async () => {
    const victim = await peer('victim')
    const honest = await peer('honest')
    await connect(honest, victim)
    const evil = await rogue()
    await dialAndSubscribe(evil.libp2p, victim)
    const pubsub = evil.libp2p.services.pubsub
    const text = (s: string): Uint8Array => new TextEncoder().encode(s)

    // Ceramic's other message types are well-formed: ignored, not punished.
    await pubsub.publish(DEFAULT_TOPIC, text(JSON.stringify({ typ: 3, ts: Date.now(), ver: 'x' })))
    await waitFor(() => victim.sync.status().gossip.received === 1, 'the keepalive to arrive')
    expect(victim.sync.status().penalties).toBe(0)

    // Raw protocol abuse (the peer is still connected): an oversize and a malformed request.
    const blocks = await evil.libp2p.dialProtocol(victim.libp2p.peerId, BLOCKS_PROTOCOL)
    blocks.send(encodeFrame({ cids: ['x'.repeat(10_000)] }))
    await blocks.close().catch(() => {})
    const heads = await evil.libp2p.dialProtocol(victim.libp2p.peerId, HEADS_PROTOCOL)
    heads.send(encodeFrame({ streams: 'not a list' }))
    await heads.close().catch(() => {})
    await waitFor(() => victim.sync.status().penalties === 2, 'both bad requests to be counted')
    expect(victim.sync.status().banned).toBe(0)

    const bad = [
      text('not json'),
      text(JSON.stringify({ typ: 0, stream: 'kjzl-not-a-stream', tip: 'bafy-not-a-cid' })),
      text(JSON.stringify({ typ: 9 })),
      encodeUpdate({ stream: 'k'.repeat(MAX_UPDATE_MESSAGE_BYTES), tip: 'x' })
    ]
    for (const data of bad) await pubsub.publish(DEFAULT_TOPIC, data)
    await waitFor(() => victim.sync.status().banned === 1, 'the victim to ban the sender of malformed messages')
    expect(victim.sync.status().gossip.rejected).toBeGreaterThanOrEqual(3)
    await waitFor(() => victim.libp2p.getConnections(evil.libp2p.peerId).length === 0, 'the sender to be disconnected')

    const good = await honest.node.create({ content: { still: 'fine' } })
    await waitFor(async () => (await contents(victim.node))[good.id] != null, 'valid data to keep arriving')
  })
})
