/**
 * The text an account signs to join an identity, and the CAIP-10 account ids Kiln checks proofs
 * for. No cryptography here (account-proof.ts checks the signatures), so pages that only write
 * links do not load it.
 */
import { base58btc } from 'multiformats/bases/base58'
import { InvalidInputError } from '../errors.js'

/** A CAIP-10 account id, split: `eip155:1:0xab…` is namespace `eip155`, chain `1`, address `0xab…`. */
export interface AccountId {
  namespace: 'eip155' | 'solana'
  chain: string
  address: string
}

const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/

/** Parses a CAIP-10 id of an account Kiln checks proofs for; Ethereum addresses are lower-cased (one id per account). */
export function parseAccount (account: string): AccountId {
  const parts = typeof account === 'string' ? account.split(':') : []
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) throw new InvalidInputError(`Not a CAIP-10 account id: ${String(account)}`, { account })
  const [namespace, chain, address] = parts
  if (namespace === 'eip155' && ETH_ADDRESS.test(address)) return { namespace, chain, address: address.toLowerCase() }
  if (namespace === 'solana' && solanaKey(address) != null) return { namespace, chain, address }
  throw new InvalidInputError(`Kiln checks links of Ethereum (eip155) and Solana accounts, not ${account}`, { account })
}

/** The account id as stored and queried: `parseAccount`'s normal form. */
export function normalAccount (account: string): string {
  const { namespace, chain, address } = parseAccount(account)
  return `${namespace}:${chain}:${address}`
}

/**
 * The text the account signs. It names the identity and the account (so a proof for one identity
 * cannot be replayed for another) and the time, which the document records too.
 */
export function linkMessage (did: string, account: string, issued: number): string {
  if (typeof did !== 'string' || !did.startsWith('did:')) throw new InvalidInputError(`Not a DID: ${String(did)}`, { did })
  if (!Number.isSafeInteger(issued) || issued < 0) throw new InvalidInputError('`issued` is a time in ms since the epoch', { issued })
  return `Kiln: link an account to an identity\n\nAccount: ${normalAccount(account)}\nIdentity: ${did}\nIssued: ${new Date(issued).toISOString()}`
}

/** A Solana address is its Ed25519 public key in base58 (Bitcoin's alphabet). */
export function solanaKey (address: string): Uint8Array | undefined {
  const key = decodeBase58(address)
  return key?.length === 32 ? key : undefined
}

export function decodeBase58 (text: string): Uint8Array | undefined {
  try {
    return base58btc.baseDecode(text)
  } catch {
    return undefined
  }
}

/** A Solana wallet's signature bytes as the document keeps them (base58, as Solana tools show them). */
export function encodeSolanaSignature (signature: Uint8Array): string {
  return base58btc.baseEncode(signature)
}
