/**
 * The command line's anchor settings: which chains a node trusts for anchor proofs
 * (`--eth-rpc <chainId>=<url>`, repeatable, or KILN_ETH_RPC as a comma list) and, for
 * `kiln serve`, the chain it anchors on itself with a funded key.
 */
import { readFileSync } from 'node:fs'
import { InvalidInputError } from '../errors.js'
import type { EvmChainOptions } from './evm-anchors.js'
import type { EvmAnchorerOptions } from './evm-anchorer.js'

export interface AnchorFlags {
  'eth-rpc'?: string[]
  'anchor-confirmations'?: string
  'anchor-chain'?: string
  'anchor-key-file'?: string
  'anchor-contract'?: string
  'anchor-interval'?: string
}

/** The chains to trust, by CAIP-2 id; empty when none is configured. */
export function trustedChains (flags: AnchorFlags, env: NodeJS.ProcessEnv = process.env): Record<string, EvmChainOptions> {
  const specs = flags['eth-rpc'] ?? env.KILN_ETH_RPC?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? []
  const confirmations = flags['anchor-confirmations'] == null ? undefined : wholeNumber(flags['anchor-confirmations'], '--anchor-confirmations', 1)
  const chains: Record<string, EvmChainOptions> = {}
  for (const spec of specs) {
    const at = spec.indexOf('=')
    const chainId = spec.slice(0, at)
    const rpcUrl = spec.slice(at + 1)
    if (at < 0 || !/^eip155:\d+$/.test(chainId) || !/^https?:\/\//.test(rpcUrl)) {
      throw new InvalidInputError(`--eth-rpc takes <chainId>=<url>, e.g. eip155:1=https://rpc.example, not "${spec}"`)
    }
    chains[chainId] = confirmations == null ? { rpcUrl } : { rpcUrl, confirmations }
  }
  return chains
}

/** `kiln serve`'s own anchoring, when `--anchor-chain` is given: the chain must be a trusted one. */
export function anchoringOf (flags: AnchorFlags, chains: Record<string, EvmChainOptions>, env: NodeJS.ProcessEnv = process.env): Omit<EvmAnchorerOptions, 'node' | 'log'> | undefined {
  const chainId = flags['anchor-chain']
  if (chainId == null) return undefined
  const chain = chains[chainId]
  if (chain == null) throw new InvalidInputError(`--anchor-chain ${chainId} needs --eth-rpc ${chainId}=<url>`)
  const privateKey = readKey(flags['anchor-key-file'], env.KILN_ANCHOR_KEY)
  const options: Omit<EvmAnchorerOptions, 'node' | 'log'> = { chainId, rpcUrl: chain.rpcUrl, privateKey, confirmations: chain.confirmations }
  if (flags['anchor-contract'] != null) options.contract = flags['anchor-contract']
  if (flags['anchor-interval'] != null) options.intervalMs = wholeNumber(flags['anchor-interval'], '--anchor-interval', 0) * 1000
  return options
}

// The key is read from a file or the environment, never the command line (other users see argv).
function readKey (path: string | undefined, fromEnv: string | undefined): string {
  if (path != null) {
    try {
      return readFileSync(path, 'utf8').trim()
    } catch (err) {
      throw new InvalidInputError(`Cannot read the anchor key file ${path}: ${(err as Error).message}`, undefined, { cause: err })
    }
  }
  if (fromEnv != null && fromEnv.trim() !== '') return fromEnv.trim()
  throw new InvalidInputError('Anchoring needs a funded key: --anchor-key-file <file> or KILN_ANCHOR_KEY')
}

function wholeNumber (text: string, flag: string, min: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min) throw new InvalidInputError(`${flag} must be a whole number of at least ${min}, not "${text}"`)
  return n
}
