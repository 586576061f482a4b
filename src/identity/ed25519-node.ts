/**
 * Ed25519 on node:crypto, for Node programs (kiln/node, the CLI): importing this module installs
 * it. Same keys and results as WebCrypto; a rejection is still re-checked with the reference.
 */
import { KeyObject, createPublicKey, sign, verify } from 'node:crypto'
import { type Ed25519Platform, useEd25519Platform } from './ed25519.js'

// SubjectPublicKeyInfo of a raw 32-byte Ed25519 key (RFC 8410).
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PUBLIC_KEY_CACHE_SIZE = 1024

const privateKeys = new WeakMap<CryptoKey, KeyObject>()
const publicKeys = new Map<string, KeyObject>()

function privateKeyOf (key: CryptoKey): KeyObject {
  let object = privateKeys.get(key)
  if (object == null) {
    // Node's KeyObject.from takes a CryptoKey, extractable or not.
    object = KeyObject.from(key)
    privateKeys.set(key, object)
  }
  return object
}

function publicKeyOf (publicKey: Uint8Array): KeyObject {
  const cacheKey = Buffer.from(publicKey).toString('base64')
  let object = publicKeys.get(cacheKey)
  if (object == null) {
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.clear()
    object = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' })
    publicKeys.set(cacheKey, object)
  }
  return object
}

export const nodeEd25519: Ed25519Platform = {
  sign: (key, data) => new Uint8Array(sign(null, data, privateKeyOf(key))),
  verify: (publicKey, data, signature) => publicKey.length === 32 && verify(null, data, publicKeyOf(publicKey), signature)
}

useEd25519Platform(nodeEd25519)
