import { afterEach, describe, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createKilnLibp2p, createPeerKey, decodePeerKey, encodePeerKey, type KilnLibp2p } from '../../src/sync/libp2p-config.js'
import { startSync, type Sync } from '../../src/sync/sync.js'
import { kilnSigner } from '../fixtures/identities.js'
import { waitFor } from './peers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of cleanups.splice(0).reverse()) await stop()
})

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return port
}

async function online (node: StreamNode, init: Parameters<typeof createKilnLibp2p>[0], bootstrap?: string[]): Promise<{ libp2p: KilnLibp2p, sync: Sync }> {
  const libp2p = await createKilnLibp2p(init)
  const sync = await startSync({ node, libp2p, bootstrap })
  const stop = async (): Promise<void> => { await sync.stop(); await libp2p.stop() }
  cleanups.push(stop)
  return { libp2p, sync }
}

describe('sync: bootstrap peers', () => {
  it('the peer key round-trips through its text form (a stable PeerId)', async () => {
    const key = await createPeerKey()
    expect(decodePeerKey(encodePeerKey(key)).equals(key)).toBe(true)
    expect(() => decodePeerKey('not a key')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
  })

  it('a node keeps redialing a bootstrap peer that is down, with backoff, and syncs once it is up', async () => {
    const key = await createPeerKey()
    const port = await freePort()
    const server = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('server') })
    const device = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    cleanups.push(async () => { await server.close(); await device.close() })
    const listen = `/ip4/127.0.0.1/tcp/${port}/ws`
    const serverPeerId = peerIdFromPrivateKey(key).toString()
    const written = await device.create({ content: { offline: true } })
    const { sync } = await online(device, {}, [`${listen}/p2p/${serverPeerId}`])
    await new Promise((resolve) => setTimeout(resolve, 1_500)) // at least one failed dial
    expect(sync.status().peers).toHaveLength(0)
    await online(server, { privateKey: key, listen: [listen] })
    await waitFor(async () => (await server.load(written.id).then(() => true, () => false)), 'the device to reach the server and sync', 20_000)
    expect(sync.status().peers.map((p) => p.id)).toEqual([serverPeerId])
  }, 30_000)
})
