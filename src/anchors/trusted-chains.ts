/**
 * The chains a browser's node trusts for anchor proofs, given by its pages (`connect({ anchorChains })`)
 * while the node runs: one validator for the node's whole life, whose chains can be added to.
 * viem and the proof checks load only once a chain is given.
 */
import { InvalidAnchorError } from '../errors.js'
import type { AnchorValidator } from '../identity/verify.js'
import type { EvmChainOptions } from './evm-anchors.js'

export interface TrustedChains {
  /** For the StreamNode: refuses every proof until a chain is trusted. */
  validator: AnchorValidator
  /** Trusts these chains too (a chain given again takes its new settings). */
  trust: (chains: Record<string, string | EvmChainOptions>) => Promise<void>
  list: () => string[]
}

export function createTrustedChains (): TrustedChains {
  let chains: Record<string, string | EvmChainOptions> = {}
  let current: AnchorValidator | undefined
  return {
    validator: async (proof) => {
      if (current == null) throw new InvalidAnchorError(`No RPC is configured for chain ${proof.chainId}`, { chainId: proof.chainId })
      return await current(proof)
    },
    trust: async (more) => {
      const { evmAnchorValidator } = await import('./evm-anchors.js')
      const next = { ...chains, ...more }
      current = evmAnchorValidator({ chains: next })
      chains = next
    },
    list: () => Object.keys(chains)
  }
}
