/**
 * The proof that a wallet account belongs to an identity: the account signs a short text naming
 * both (Ethereum: EIP-191 `personal_sign`; Solana: Ed25519 over the text's UTF-8, as a wallet's
 * `signMessage` does). Anyone checks it from the document alone: the account is its public key
 * (Solana) or the hash of it (Ethereum, recovered from the signature).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { base58btc } from 'multiformats/bases/base58'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { verifyEd25519 } from './ed25519.js'
import { InvalidInputError } from '../errors.js'

/** A CAIP-10 account id, split: `eip155:1:0xab…` is namespace `eip155`, chain `1`, address `0xab…`. */
export interface AccountId {
  namespace: 'eip155' | 'solana'
  chain: string
  address: string
}

/** Why a link's proof does not hold. */
export type LinkProblem = 'bad-signature' | 'unsupported-account' | 'malformed'

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

/** Checks that `signature` is `account`'s signature of the link message for `did` at `issued`. */
export async function checkLinkProof (did: string, account: string, issued: number, signature: string): Promise<LinkProblem | undefined> {
  let id: AccountId
  let message: Uint8Array
  try {
    id = parseAccount(account)
    message = bytesFromString(linkMessage(did, account, issued), 'utf8')
  } catch {
    return 'malformed'
  }
  if (typeof signature !== 'string') return 'malformed'
  const valid = id.namespace === 'eip155' ? personalSignBy(id.address, message, signature) : await solanaSignedBy(id.address, message, signature)
  return valid ? undefined : 'bad-signature'
}

/** EIP-191 version 0x45: keccak256("\x19Ethereum Signed Message:\n" + length + message), signed r || s || v. */
function personalSignBy (address: string, message: Uint8Array, signature: string): boolean {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return false
  const bytes = bytesFromString(signature.slice(2).toLowerCase(), 'base16')
  const v = bytes[64]
  const recovery = v >= 27 ? v - 27 : v
  if (recovery !== 0 && recovery !== 1) return false
  const prefix = bytesFromString(`\x19Ethereum Signed Message:\n${message.length}`, 'utf8')
  const hash = keccak_256(new Uint8Array([...prefix, ...message]))
  try {
    // noble's recovered form puts the recovery bit first.
    const recovered = secp256k1.recoverPublicKey(new Uint8Array([recovery, ...bytes.subarray(0, 64)]), hash, { prehash: false })
    const uncompressed = secp256k1.Point.fromBytes(recovered).toBytes(false)
    return `0x${bytesToString(keccak_256(uncompressed.subarray(1)).subarray(12), 'base16')}` === address
  } catch {
    return false
  }
}

async function solanaSignedBy (address: string, message: Uint8Array, signature: string): Promise<boolean> {
  const key = solanaKey(address)
  const sig = decodeBase58(signature)
  return key != null && sig != null && await verifyEd25519(key, message, sig)
}

/** A Solana address is its Ed25519 public key in base58 (Bitcoin's alphabet). */
function solanaKey (address: string): Uint8Array | undefined {
  const key = decodeBase58(address)
  return key?.length === 32 ? key : undefined
}

function decodeBase58 (text: string): Uint8Array | undefined {
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
