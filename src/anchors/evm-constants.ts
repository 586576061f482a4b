/** Facts of Ceramic's Ethereum anchoring (js-ceramic's anchor validator and @ceramicnetwork/anchor-utils). */

/** The `txType` of a proof whose transaction calls the anchor contract (CAIP-168). */
export const V1_TX_TYPE = 'f(bytes32)'

/** The one call of Ceramic's anchor contract, and the event it emits. */
export const ANCHOR_ABI = ['function anchorDagCbor(bytes32 root)', 'event DidAnchor(address indexed service, bytes32 root)'] as const

/** Ceramic's anchor contract on Ethereum mainnet and its test networks. */
export const CERAMIC_ANCHOR_CONTRACT = '0x231055a0852d67c7107ad0d0dfeab60278fe6adc'

/**
 * Up to these blocks Ceramic's anchor service wrote the root into a plain transaction's data from
 * any address (the legacy proof without txType); later proofs must call the contract.
 */
export const LEGACY_PROOF_UNTIL_BLOCK: Record<string, number> = {
  'eip155:1': 16688195,
  'eip155:5': 8498671,
  'eip155:100': 26509835,
  'eip155:11155111': 5518585
}

/** About two and a half minutes of Ethereum blocks: past the reorgs seen in practice. */
export const DEFAULT_CONFIRMATIONS = 12
