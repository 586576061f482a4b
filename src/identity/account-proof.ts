/**
 * The proof that a wallet account belongs to an identity: the account signs a short text naming
 * both (link-message.ts; Ethereum: EIP-191 `personal_sign`; Solana: Ed25519 over the text's UTF-8,
 * as a wallet's `signMessage` does). Anyone checks it from the document alone: the account is its
 * public key (Solana) or the hash of it (Ethereum, recovered from the signature).
 */
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { verifyEd25519 } from './ed25519.js'
import { type AccountId, decodeBase58, linkMessage, parseAccount, solanaKey } from './link-message.js'

/** Why a link's proof does not hold. */
export type LinkProblem = 'bad-signature' | 'malformed'

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
