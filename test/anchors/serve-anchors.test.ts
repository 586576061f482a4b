import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { evmAnchorValidator } from '../../src/anchors/evm-anchors.js'
import { AnchorStatus, EventType } from '../../src/index.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { DEFAULT_TOPIC } from '../../src/sync/constants.js'
import { startEvmChain, type EvmChain } from '../fixtures/evm-chain.js'
import { kilnSigner } from '../fixtures/identities.js'
import { serveOptions } from '../../src/server/serve-command.js'
import { get, serve, tempDir } from '../server/kiln-serve.js'
import { startPeer, waitFor } from '../sync/peers.js'

let chain: EvmChain
beforeAll(async () => { chain = await startEvmChain() }, 60_000)
afterAll(async () => { await chain?.close() })
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => { await Promise.all(cleanups.splice(0).map(async (stop) => await stop())) })

describe('kiln serve anchors the streams it holds', () => {
  it('a stream a client wrote is anchored on the chain by the server, the time event syncs back, and a new node that trusts only the chain verifies it', async () => {
    const dir = tempDir()
    const keyFile = join(dir, 'anchor-key.txt')
    writeFileSync(keyFile, chain.fundedKey + '\n', { mode: 0o600 })
    const server = await serve(cleanups, dir, [
      '--eth-rpc', `${chain.chainId}=${chain.rpcUrl}`, '--anchor-confirmations', '1',
      '--anchor-chain', chain.chainId, '--anchor-key-file', keyFile, '--anchor-interval', '1'
    ])
    const trustChain = () => evmAnchorValidator({ chains: { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } } })
    const alice = await startPeer('alice', { listen: false, node: createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice'), anchorValidator: trustChain() }) })
    cleanups.push(alice.stop)
    await alice.libp2p.dial(multiaddr(server.ready.multiaddrs[0]))
    await waitFor(() => alice.libp2p.services.pubsub.getSubscribers(DEFAULT_TOPIC).some((p) => p.toString() === server.ready.peerId), 'the server to hear alice')
    const note = await alice.node.create({ content: { title: 'anchored' } })
    await waitFor(async () => (await get(server, `/streams/${note.id}`)).status === 200, 'the note to reach the server')

    // Every changed stream goes in the next batch; a client can also ask for one over HTTP.
    const asked = await fetch(`${server.ready.http}/streams/${note.id}/anchor`, { method: 'POST' })
    expect(asked.status).toBe(202)
    expect(await asked.json()).toMatchObject({ id: note.id })
    await waitFor(async () => (await get(server, `/streams/${note.id}`)).body.anchorStatus === AnchorStatus.ANCHORED, 'the server to anchor the note', 30_000)
    // The time event reaches alice by sync and verifies on her node against the chain.
    await waitFor(async () => (await alice.node.load(note.id)).anchorStatus === AnchorStatus.ANCHORED, 'the time event to reach alice', 30_000)
    const anchored = await alice.node.load(note.id)
    expect(anchored.log.map((e) => e.type)).toEqual([EventType.INIT, EventType.TIME])

    const fresh = createStreamNode({ store: createMemoryStore(), anchorValidator: trustChain() })
    const car = await get(server, `/streams/${note.id}/car`)
    expect((await fresh.importCar(car.body as Uint8Array)).anchorStatus).toBe(AnchorStatus.ANCHORED)

    const unknown = await fetch(`${server.ready.http}/streams/kjzl6cwe1jw147ww5d8pswh1hjh686mut8v1br10dar8l9a3n1wf8z38l0bg8qa/anchor`, { method: 'POST' })
    expect(unknown.status).toBe(404)
  }, 90_000)

  it('refuses anchoring settings that cannot work, with typed errors that name the fix', () => {
    expect(() => serveOptions({ 'anchor-chain': 'eip155:1337', 'anchor-key-file': '/nowhere' }, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('--eth-rpc eip155:1337=<url>') }))
    expect(() => serveOptions({ 'eth-rpc': ['eip155:1337'] }, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('<chainId>=<url>') }))
    expect(() => serveOptions({ 'eth-rpc': ['eip155:1337=http://127.0.0.1:1'], 'anchor-chain': 'eip155:1337' }, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('KILN_ANCHOR_KEY') }))
    expect(() => serveOptions({ 'eth-rpc': ['eip155:1337=http://127.0.0.1:1'], 'anchor-confirmations': '0' }, {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }))
    const options = serveOptions({ 'eth-rpc': ['eip155:1337=http://127.0.0.1:1'], 'anchor-chain': 'eip155:1337', 'anchor-interval': '60' }, { KILN_ANCHOR_KEY: `0x${'22'.repeat(32)}` })
    expect(options.anchoring).toEqual({ chainId: 'eip155:1337', rpcUrl: 'http://127.0.0.1:1', privateKey: `0x${'22'.repeat(32)}`, confirmations: undefined, intervalMs: 60_000 })
  })
})
