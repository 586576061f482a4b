/**
 * Checks Ceramic's anchor proofs against EVM chains the user names (a JSON-RPC URL per CAIP-2
 * chain id): the proof's transaction exists and is final, it records the proof's merkle root the
 * way Ceramic's anchor service does, and its block's time becomes the anchor's time. The merkle
 * path from that root to the commit is walked when the time commit is decoded
 * (commits/decode.ts), so a valid answer here means the commit existed at that time.
 */
import { createPublicClient, decodeFunctionData, hexToBytes, http, parseAbi, type Hex, type PublicClient } from 'viem'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { toString as toHex } from 'uint8arrays/to-string'
import type { AnchorProof } from '../commits/time.js'
import { AnchorUnavailableError, InvalidAnchorError, InvalidInputError } from '../errors.js'
import type { AnchorValidator } from '../identity/verify.js'
import { ANCHOR_ABI, CERAMIC_ANCHOR_CONTRACT, DEFAULT_CONFIRMATIONS, LEGACY_PROOF_UNTIL_BLOCK, V1_TX_TYPE } from './evm-constants.js'

export interface EvmChainOptions {
  /** The chain's JSON-RPC endpoint (HTTP). */
  rpcUrl: string
  /** The anchor contract's address; Ceramic's contract by default. */
  contract?: string
  /** Blocks a transaction's block must have on top of it, itself included, to count (default 12). */
  confirmations?: number
}

export interface EvmAnchorOptions {
  /** Per CAIP-2 chain id (`eip155:1`): its RPC URL, or its options. Proofs on other chains are refused. */
  chains: Record<string, string | EvmChainOptions>
  /** How many checked transactions to remember (default 10,000). */
  cacheSize?: number
}

interface Chain {
  client: PublicClient
  contract: string
  confirmations: number
  legacyUntilBlock: number
  /** The RPC's own chain id, asked once: a URL for another chain must not vouch for this one. */
  verified?: Promise<void>
}

const SHA2_256 = 0x12
const KECCAK_256 = 0x1b
const DAG_CBOR = 0x71
const ETH_TX = 0x93
const LEGACY_PREFIX = 0x0f
const abi = parseAbi(ANCHOR_ABI)

/** An AnchorValidator for `StreamNode` / `connect()` that trusts only the configured chains. */
export function evmAnchorValidator (options: EvmAnchorOptions): AnchorValidator {
  const chains = new Map<string, Chain>()
  for (const [chainId, value] of Object.entries(options.chains)) chains.set(chainId, openChain(chainId, value))
  const checked = new Map<string, Promise<number>>()
  const cacheSize = options.cacheSize ?? 10_000

  return async (proof: AnchorProof): Promise<number> => {
    const chain = chains.get(proof.chainId)
    if (chain == null) throw new InvalidAnchorError(`No RPC is configured for chain ${proof.chainId}`, { chainId: proof.chainId })
    const key = `${proof.chainId}/${proof.txHash.toString()}/${proof.root.toString()}/${proof.txType ?? ''}`
    let check = checked.get(key)
    if (check == null) {
      check = checkProof(chain, proof)
      checked.set(key, check)
      if (checked.size > cacheSize) checked.delete(checked.keys().next().value as string)
      // Only a time found stays cached: a refusal or an RPC failure is asked again next time.
      check.catch(() => checked.delete(key))
    }
    return await check
  }
}

function openChain (chainId: string, value: string | EvmChainOptions): Chain {
  const { rpcUrl, contract = CERAMIC_ANCHOR_CONTRACT, confirmations = DEFAULT_CONFIRMATIONS } = typeof value === 'string' ? { rpcUrl: value } : value
  if (!/^eip155:\d+$/.test(chainId)) throw new InvalidInputError(`Anchor chains are EVM chains named eip155:<number>, not ${chainId}`)
  if (!/^0x[0-9a-fA-F]{40}$/.test(contract)) throw new InvalidInputError(`Not a contract address: ${contract}`)
  if (!Number.isInteger(confirmations) || confirmations < 1) throw new InvalidInputError('confirmations must be a whole number of at least 1')
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 3, timeout: 10_000 }) })
  return { client, contract: contract.toLowerCase(), confirmations, legacyUntilBlock: LEGACY_PROOF_UNTIL_BLOCK[chainId] ?? -1 }
}

async function checkProof (chain: Chain, proof: AnchorProof): Promise<number> {
  const { chainId } = proof
  const hash = transactionHash(proof.txHash)
  await ask(chainId, async () => {
    chain.verified ??= chain.client.getChainId().then((id) => {
      if (`eip155:${id}` !== chainId) throw new AnchorUnavailableError(`The RPC configured for ${chainId} serves eip155:${id}`, { chainId })
    })
    await chain.verified.catch((err: unknown) => { chain.verified = undefined; throw err })
  })
  const tx = await ask(chainId, async () => await chain.client.getTransaction({ hash }).catch((err: unknown) => {
    if ((err as Error).name === 'TransactionNotFoundError') return undefined
    throw err
  }))
  if (tx == null) throw new InvalidAnchorError(`Transaction ${hash} is not on ${chainId}`, { chainId, txHash: hash })
  if (tx.blockNumber == null || tx.blockHash == null) throw new AnchorUnavailableError(`Transaction ${hash} is not in a block yet`, { chainId, txHash: hash })
  const txBlock = Number(tx.blockNumber)
  const legacyEra = txBlock <= chain.legacyUntilBlock
  checkRoot(proof, tx.input, legacyEra, hash)
  // Ceramic's contract is required from the block its chain moved to it; the legacy era allowed any sender and address.
  if (!legacyEra && tx.to?.toLowerCase() !== chain.contract) {
    throw new InvalidAnchorError(`Transaction ${hash} calls ${String(tx.to)}, not the anchor contract ${chain.contract}`, { chainId, txHash: hash })
  }
  const head = Number(await ask(chainId, async () => await chain.client.getBlockNumber({ cacheTime: 0 })))
  if (head - txBlock + 1 < chain.confirmations) {
    throw new AnchorUnavailableError(`Transaction ${hash} has ${head - txBlock + 1} of ${chain.confirmations} confirmations`, { chainId, txHash: hash })
  }
  const block = await ask(chainId, async () => await chain.client.getBlock({ blockHash: tx.blockHash as Hex }))
  return Number(block.timestamp)
}

/** The transaction's argument (or, in the legacy form, its data) must be the proof's root. */
function checkRoot (proof: AnchorProof, input: Hex, legacyEra: boolean, hash: string): void {
  const recorded = proof.txType === V1_TX_TYPE ? rootFromCall(input, hash) : legacyEra ? rootFromData(input, hash) : undefined
  if (recorded == null) throw new InvalidAnchorError(`A proof after the legacy era must have txType ${V1_TX_TYPE}`, { txHash: hash, txType: proof.txType })
  if (recorded.toString() !== proof.root.toString()) throw new InvalidAnchorError(`Transaction ${hash} records root ${recorded.toString()}, not ${proof.root.toString()}`, { txHash: hash })
}

function rootFromCall (input: Hex, hash: string): CID {
  let root: Hex
  try {
    const call = decodeFunctionData({ abi, data: input })
    root = call.args[0]
  } catch (err) {
    throw new InvalidAnchorError(`Transaction ${hash} is not a call of anchorDagCbor(bytes32)`, { txHash: hash }, { cause: err })
  }
  return CID.createV1(DAG_CBOR, createDigest(SHA2_256, hexToBytes(root)))
}

function rootFromData (input: Hex, hash: string): CID {
  const bytes = hexToBytes(input)
  try {
    if (bytes[0] !== LEGACY_PREFIX) throw new Error('no prefix')
    return CID.decode(bytes.subarray(1))
  } catch (err) {
    throw new InvalidAnchorError(`Transaction ${hash} does not carry a CID in its data`, { txHash: hash }, { cause: err })
  }
}

/** An Ethereum transaction hash is written in a proof as a CID: eth-tx codec, keccak-256. */
function transactionHash (txHash: CID): Hex {
  if (txHash.code !== ETH_TX || txHash.multihash.code !== KECCAK_256 || txHash.multihash.digest.length !== 32) {
    throw new InvalidAnchorError(`The proof's txHash ${txHash.toString()} is not an Ethereum transaction hash`)
  }
  return `0x${toHex(txHash.multihash.digest, 'base16')}`
}

/** One RPC exchange; a chain that does not answer (viem has retried by now) is a typed, retriable failure. */
async function ask<T> (chainId: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if ((err as { code?: unknown }).code === AnchorUnavailableError.code) throw err
    throw new AnchorUnavailableError(`The RPC for ${chainId} did not answer: ${(err as Error).message.split('\n')[0]}`, { chainId }, { cause: err })
  }
}
