/**
 * A server peer's own anchor service: on a schedule it takes the tips of the streams that changed
 * since their last anchor (and those clients asked for), puts them in one Ceramic merkle tree,
 * records its root with one call of the anchor contract from a funded key, and writes each
 * stream's time event back to the node — verified there like any commit, then synced to peers.
 */
import { createWalletClient, hexToBytes, http, parseAbi, publicActions, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { toString as toHex } from 'uint8arrays/to-string'
import type { Logger } from '../logger.js'
import { type Block, encodeCborBlock } from '../commits/block.js'
import { timeCommit } from '../commits/time.js'
import { InvalidInputError, codeOf } from '../errors.js'
import { StreamID } from '../ids/index.js'
import { EventType } from '../streams/state.js'
import type { StreamNode } from '../node/stream-node.js'
import { buildAnchorTree } from './anchor-tree.js'
import { ANCHOR_ABI, CERAMIC_ANCHOR_CONTRACT, DEFAULT_CONFIRMATIONS, V1_TX_TYPE } from './evm-constants.js'

export interface EvmAnchorerOptions {
  node: StreamNode
  /** The CAIP-2 chain anchors go to (`eip155:1`); the node's anchor validator must trust it too. */
  chainId: string
  rpcUrl: string
  /** The funded key that sends the anchor transactions (0x + 64 hex digits). */
  privateKey: string
  contract?: string
  /** Blocks to wait on top of the anchor transaction before writing the time events (default 12). */
  confirmations?: number
  /** How often a batch is anchored (default 10 minutes); 0 anchors only on `anchorNow()`. */
  intervalMs?: number
  /** How often the chain is asked whether the transaction is mined (default 1 s; less for a local chain). */
  pollingIntervalMs?: number
  /** The most tips in one transaction (default 100,000). */
  maxBatch?: number
  log: Logger
}

export interface AnchorBatchResult {
  root: string
  txHash: string
  streams: number
  /** Streams whose time event the node refused (logged), e.g. because the stream moved on meanwhile. */
  failed: number
}

export interface EvmAnchorer {
  /** Asks for this stream's current tip to be in the next batch. */
  request: (id: string) => void
  /** The streams waiting for the next batch. */
  readonly pending: number
  /** Anchors what is pending now; undefined if nothing was. */
  anchorNow: () => Promise<AnchorBatchResult | undefined>
  stop: () => Promise<void>
}

const DEFAULT_INTERVAL_MS = 10 * 60 * 1000
const KECCAK_256 = 0x1b
const ETH_TX = 0x93

export function startEvmAnchorer (options: EvmAnchorerOptions): EvmAnchorer {
  const { node, chainId, log } = options
  if (!/^eip155:\d+$/.test(chainId)) throw new InvalidInputError(`Anchors go to an EVM chain named eip155:<number>, not ${chainId}`)
  if (!/^0x[0-9a-fA-F]{64}$/.test(options.privateKey)) throw new InvalidInputError('The anchor key must be 0x followed by 64 hex digits')
  const contract = (options.contract ?? CERAMIC_ANCHOR_CONTRACT) as Hex
  const confirmations = options.confirmations ?? DEFAULT_CONFIRMATIONS
  const maxBatch = options.maxBatch ?? 100_000
  const wallet = createWalletClient({ account: privateKeyToAccount(options.privateKey as Hex), transport: http(options.rpcUrl, { retryCount: 3 }) }).extend(publicActions)
  const abi = parseAbi(ANCHOR_ABI)
  const pending = new Set<string>()
  let running: Promise<AnchorBatchResult | undefined> | undefined

  // Every stream that changes is anchored in the next batch, unless its new tip is itself a time event.
  const unlisten = node.onCommit((event) => { pending.add(event.id) })

  async function tipsToAnchor (): Promise<Array<{ stream: string, tip: CID }>> {
    const ids = [...pending].slice(0, maxBatch)
    for (const id of ids) pending.delete(id)
    const tips: Array<{ stream: string, tip: CID }> = []
    for (const id of ids) {
      const snapshot = await node.load(id).catch(() => undefined)
      if (snapshot != null && snapshot.log.at(-1)?.type !== EventType.TIME) tips.push({ stream: id, tip: CID.parse(snapshot.tip) })
    }
    return tips
  }

  async function anchorBatch (): Promise<AnchorBatchResult | undefined> {
    const tips = await tipsToAnchor()
    if (tips.length === 0) return undefined
    const tree = await buildAnchorTree(tips)
    const root = `0x${toHex(tree.root.multihash.digest, 'base16')}` as Hex
    let hash: Hex
    try {
      hash = await wallet.writeContract({ address: contract, abi, functionName: 'anchorDagCbor', args: [root], chain: null })
      await wallet.waitForTransactionReceipt({ hash, confirmations, pollingInterval: options.pollingIntervalMs ?? 1000 })
    } catch (err) {
      // Nothing was anchored: the streams wait for the next batch.
      for (const { stream } of tips) pending.add(stream)
      throw err
    }
    const txHash = CID.createV1(ETH_TX, createDigest(KECCAK_256, hexToBytes(hash)))
    const proof = await encodeCborBlock({ chainId, root: tree.root, txHash, txType: V1_TX_TYPE })
    const shared = new Map<string, Block>([...tree.blocks, proof].map((block) => [block.cid.toString(), block]))
    let failed = 0
    for (const [i, { stream, tip }] of tips.entries()) {
      const time = await encodeCborBlock(timeCommit({ id: StreamID.fromString(stream).cid, prev: tip, proof: proof.cid, path: tree.paths[i] }))
      const source = async (cid: CID): Promise<Uint8Array | undefined> => cid.equals(time.cid) ? time.bytes : shared.get(cid.toString())?.bytes ?? await node.block(cid.toString())
      await node.ingest(stream, time.cid.toString(), source).catch((err: unknown) => {
        failed++
        log.error('anchor of %s at %s refused: %s %s', stream, tip.toString(), codeOf(err), (err as Error).message)
      })
    }
    log('anchored %d streams in %s (root %s)', tips.length, hash, tree.root.toString())
    return { root: tree.root.toString(), txHash: hash, streams: tips.length, failed }
  }

  const anchorNow = async (): Promise<AnchorBatchResult | undefined> => {
    // One batch at a time: the next one starts after this one's time events are written.
    const previous = running ?? Promise.resolve(undefined)
    const next = previous.catch(() => undefined).then(anchorBatch)
    running = next
    try { return await next } finally { if (running === next) running = undefined }
  }

  const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS
  const timer = interval > 0
    ? setInterval(() => { anchorNow().catch((err: unknown) => { log.error('anchor batch failed: %s', (err as Error).message) }) }, interval)
    : undefined
  timer?.unref?.()

  return {
    request: (id) => { pending.add(id) },
    get pending () { return pending.size },
    anchorNow,
    stop: async () => {
      if (timer != null) clearInterval(timer)
      unlisten()
      await running?.catch(() => undefined)
    }
  }
}
