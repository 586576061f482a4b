import { base58btc } from 'multiformats/bases/base58'
import { WrongControllerError } from '../errors.js'

const ED25519_PUB_PREFIX = Uint8Array.of(0xed, 0x01)

/** `did:key:z6Mk…` for an Ed25519 public key (multicodec ed25519-pub, base58btc). */
export function didKeyFromPublicKey (publicKey: Uint8Array): string {
  const bytes = new Uint8Array(ED25519_PUB_PREFIX.length + publicKey.length)
  bytes.set(ED25519_PUB_PREFIX)
  bytes.set(publicKey, ED25519_PUB_PREFIX.length)
  return `did:key:${base58btc.encode(bytes)}`
}

/** The Ed25519 public key inside a did:key; other key types are refused (Kiln signs with Ed25519 only). */
export function publicKeyFromDidKey (did: string): Uint8Array {
  const id = did.split('#')[0]
  if (!id.startsWith('did:key:z')) throw new WrongControllerError(`Not a did:key: ${did}`, { did })
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(id.slice('did:key:'.length))
  } catch (err) {
    throw new WrongControllerError(`Malformed did:key: ${did}`, { did }, { cause: err })
  }
  if (bytes[0] !== ED25519_PUB_PREFIX[0] || bytes[1] !== ED25519_PUB_PREFIX[1] || bytes.length !== 34) {
    throw new WrongControllerError(`Only Ed25519 did:key signers are supported: ${did}`, { did })
  }
  return bytes.subarray(2)
}

/** The key id Ceramic's key-did provider writes: `<did>#<method-specific-id>`. */
export function kidFor (did: string): string {
  return `${did}#${did.split(':')[2]}`
}
