import { x25519 } from '@noble/curves/ed25519.js'
import { base58btc } from 'multiformats/bases/base58'
import { InvalidInputError } from '../errors.js'
import { didKeyWithCodec } from './did-key.js'

/**
 * A device's X25519 key agreement key: what private documents wrap their content keys for. The
 * private half is a non-extractable WebCrypto key (it decrypts, it never exists as bytes), as the
 * device's signing key is; the public half is published in the account's key document.
 */
export interface EncryptionKey {
  /** The public key as a did:key (multicodec x25519-pub, `did:key:z6LS…`): the JWE recipient `kid`. */
  readonly id: string
  readonly publicKey: Uint8Array
  readonly privateKey: CryptoKey
}

const X25519_PUB_PREFIX = Uint8Array.of(0xec, 0x01)
// PKCS#8 wrapping of a raw 32-byte X25519 private key (RFC 8410, OID 1.3.101.110), so WebCrypto can import it.
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])

/** A fresh non-extractable X25519 key (a browser device's, kept in IndexedDB by device-key.ts). */
export async function generateEncryptionKey (): Promise<EncryptionKey> {
  const pair = await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']) as CryptoKeyPair
  return encryptionKeyOf(pair.privateKey, new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)))
}

/** An X25519 key from 32 secret bytes (servers, scripts, tests); imported non-extractable. */
export async function encryptionKeyFromSeed (seed: Uint8Array): Promise<EncryptionKey> {
  if (seed.length !== 32) throw new TypeError('An X25519 secret key is 32 bytes')
  const pkcs8 = new Uint8Array(PKCS8_X25519_PREFIX.length + 32)
  pkcs8.set(PKCS8_X25519_PREFIX)
  pkcs8.set(seed, PKCS8_X25519_PREFIX.length)
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits'])
  return encryptionKeyOf(privateKey, x25519.getPublicKey(seed))
}

export function encryptionKeyOf (privateKey: CryptoKey, publicKey: Uint8Array): EncryptionKey {
  return { id: x25519DidKey(publicKey), publicKey, privateKey }
}

/** `did:key:z6LS…` for a raw X25519 public key. */
export function x25519DidKey (publicKey: Uint8Array): string {
  return didKeyWithCodec(X25519_PUB_PREFIX, publicKey)
}

/** The raw X25519 public key of a `did:key:z6LS…`; anything else is refused. */
export function x25519FromDidKey (did: string): Uint8Array {
  let bytes: Uint8Array | undefined
  try {
    if (did.startsWith('did:key:z')) bytes = base58btc.decode(did.slice('did:key:'.length))
  } catch (err) {
    throw new InvalidInputError(`Malformed X25519 did:key: ${did}`, { did }, { cause: err })
  }
  if (bytes == null || bytes.length !== 34 || bytes[0] !== X25519_PUB_PREFIX[0] || bytes[1] !== X25519_PUB_PREFIX[1]) {
    throw new InvalidInputError(`Not an X25519 did:key: ${did}`, { did })
  }
  return bytes.subarray(2)
}
