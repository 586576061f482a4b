import { base58btc } from 'multiformats/bases/base58'
import { WrongControllerError } from '../errors.js'

const ED25519_PUB_PREFIX = Uint8Array.of(0xed, 0x01)

/** `did:key:z6Mk…` for an Ed25519 public key (multicodec ed25519-pub, base58btc). */
export function didKeyFromPublicKey (publicKey: Uint8Array): string {
  return didKeyWithCodec(ED25519_PUB_PREFIX, publicKey)
}

/** A did:key: the key's multicodec prefix and its raw bytes, in base58btc. */
export function didKeyWithCodec (prefix: Uint8Array, publicKey: Uint8Array): string {
  const bytes = new Uint8Array(prefix.length + publicKey.length)
  bytes.set(prefix)
  bytes.set(publicKey, prefix.length)
  return `did:key:${base58btc.encode(bytes)}`
}

/** The Ed25519 public key inside a did:key; other key types are refused (Kiln signs with Ed25519 only). */
export function publicKeyFromDidKey (did: string): Uint8Array {
  const key = keyFromDidKey(did)
  if (key.type !== 'ed25519') throw new WrongControllerError(`Only Ed25519 did:key signers are supported: ${did}`, { did })
  return key.publicKey
}

/** The did:key key types Ceramic's key-did-resolver knows and Kiln verifies, by multicodec prefix. */
const KEY_TYPES = [
  { type: 'ed25519', prefix: Uint8Array.of(0xed, 0x01), length: 32, alg: 'EdDSA' },
  { type: 'secp256k1', prefix: Uint8Array.of(0xe7, 0x01), length: 33, alg: 'ES256K' },
  { type: 'p256', prefix: Uint8Array.of(0x80, 0x24), length: 33, alg: 'ES256' }
] as const

export interface DidKeyPublicKey {
  type: typeof KEY_TYPES[number]['type']
  /** The JWS `alg` this key signs with. */
  alg: typeof KEY_TYPES[number]['alg']
  /** Raw Ed25519 key, or a compressed secp256k1 / P-256 point. */
  publicKey: Uint8Array
}

/** The public key inside a did:key of any type Kiln verifies (Ed25519, secp256k1, P-256). */
export function keyFromDidKey (did: string): DidKeyPublicKey {
  const id = did.split('#')[0]
  if (!id.startsWith('did:key:z')) throw new WrongControllerError(`Not a did:key: ${did}`, { did })
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(id.slice('did:key:'.length))
  } catch (err) {
    throw new WrongControllerError(`Malformed did:key: ${did}`, { did }, { cause: err })
  }
  const known = KEY_TYPES.find((k) => bytes[0] === k.prefix[0] && bytes[1] === k.prefix[1] && bytes.length === k.prefix.length + k.length)
  if (known == null) throw new WrongControllerError(`Unsupported did:key type: ${did}`, { did })
  return { type: known.type, alg: known.alg, publicKey: bytes.subarray(known.prefix.length) }
}

/** The key id Ceramic's key-did provider writes: `<did>#<method-specific-id>`. */
export function kidFor (did: string): string {
  return `${did}#${did.split(':')[2]}`
}
