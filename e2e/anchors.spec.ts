/**
 * Anchors end to end: a note written in a browser is anchored by a server peer on a real EVM chain
 * (ganache on loopback, Ceramic's anchor contract interface), the time event syncs back to the
 * browser, and a new device that trusts only the chain (connect({ anchorChains })) loads the note
 * anchored, at the block's time.
 */
import { expect, test } from '@playwright/test'
import { startEvmAnchorer, type EvmAnchorer } from '../src/anchors/evm-anchorer.js'
import { evmAnchorValidator } from '../src/anchors/evm-anchors.js'
import { silentLogger } from '../src/logger.js'
import { createStreamNode, type StreamNode } from '../src/node/stream-node.js'
import { createMemoryStore } from '../src/store/memory-store.js'
import { createDenyList } from '../src/sync/peer-score.js'
import { createKilnLibp2p, type KilnLibp2p } from '../src/sync/libp2p-config.js'
import { startSync, type Sync } from '../src/sync/sync.js'
import { startEvmChain, type EvmChain } from '../test/fixtures/evm-chain.js'
import { browserProfile } from './fixtures/server-peer.js'

const ANCHORED = 3
const TIME = 2

let chain: EvmChain
let server: { node: StreamNode, libp2p: KilnLibp2p, sync: Sync, anchorer: EvmAnchorer, addr: string }

test.beforeAll(async () => {
  chain = await startEvmChain()
  const trusted = { [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } }
  const node = createStreamNode({ store: createMemoryStore(), anchorValidator: evmAnchorValidator({ chains: trusted }) })
  const denyList = createDenyList()
  const libp2p = await createKilnLibp2p({ listen: ['/ip4/127.0.0.1/tcp/0/ws'], denyList })
  const sync = await startSync({ node, libp2p, denyList, syncIntervalMs: 2_000 })
  const anchorer = startEvmAnchorer({ node, chainId: chain.chainId, rpcUrl: chain.rpcUrl, privateKey: chain.fundedKey, confirmations: 1, intervalMs: 1_000, pollingIntervalMs: 100, log: silentLogger })
  server = { node, libp2p, sync, anchorer, addr: libp2p.getMultiaddrs()[0].toString() }
})

test.afterAll(async () => {
  await server?.anchorer.stop()
  await server?.sync.stop()
  await server?.libp2p.stop()
  await server?.node.close()
  await chain?.close()
})

test('a browser\'s note is anchored on the chain by its server peer, and a new device that trusts only the chain loads it anchored', async () => {
  const query = (node: string) => `/e2e/pages/app.html?node=${node}&peers=${encodeURIComponent(server.addr)}&anchorChains=${encodeURIComponent(JSON.stringify({ [chain.chainId]: { rpcUrl: chain.rpcUrl, confirmations: 1 } }))}`
  test.setTimeout(120_000)
  const writer = await browserProfile()
  const reader = await browserProfile()
  try {
    const page = await writer.newPage()
    await page.goto(query('anchors-a'))
    await expect(page.locator('#status')).toHaveText('ready')
    await expect.poll(async () => (await page.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0).toBeGreaterThan(0)
    const note = await page.evaluate(async () => await window.kiln!.create({ content: { title: 'Timestamped by a chain' } }))

    // The server anchors it within a batch; the time event comes back and verifies in the worker
    // (one confirmation: this chain makes a block only per transaction).
    await expect.poll(async () => (await server.node.load(note.id).catch(() => undefined))?.anchorStatus, { timeout: 30_000 }).toBe(ANCHORED)
    await expect.poll(async () => (await page.evaluate(async (id) => await window.kiln!.load(id), note.id)).anchorStatus, { timeout: 30_000 }).toBe(ANCHORED)
    const anchored = await page.evaluate(async (id) => await window.kiln!.load(id), note.id)
    expect(anchored.log.map((e) => e.type)).toEqual([0, TIME])
    expect(anchored.log[1].timestamp).toBeGreaterThan(0)

    const other = await reader.newPage()
    await other.goto(query('anchors-b'))
    await expect(other.locator('#status')).toHaveText('ready')
    await expect.poll(async () => (await other.evaluate(async () => await window.kiln!.status())).network?.peers.length ?? 0).toBeGreaterThan(0)
    const seen = await other.evaluate(async (id) => await window.kiln!.load(id), note.id)
    expect(seen).toMatchObject({ content: { title: 'Timestamped by a chain' }, anchorStatus: ANCHORED, tip: anchored.tip })
    expect(seen.log[1].timestamp).toBe(anchored.log[1].timestamp)
  } finally {
    await writer.close()
    await reader.close()
  }
})
