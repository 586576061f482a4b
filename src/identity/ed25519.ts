import { ed25519 } from '@noble/curves/ed25519.js'

// PKCS#8 wrapping of a raw 32-byte Ed25519 seed (RFC 8410), so WebCrypto can import it.
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

export function publicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed)
}

export async function importSeed (seed: Uint8Array, extractable = false): Promise<CryptoKey> {
  if (seed.length !== 32) throw new TypeError('An Ed25519 seed is 32 bytes')
  const pkcs8 = new Uint8Array(PKCS8_ED25519_PREFIX.length + 32)
  pkcs8.set(PKCS8_ED25519_PREFIX)
  pkcs8.set(seed, PKCS8_ED25519_PREFIX.length)
  return await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, extractable, ['sign'])
}

/**
 * Where Ed25519 signs and verifies: WebCrypto everywhere by default. Node programs install its
 * one-shot node:crypto calls instead (ed25519-node.ts), which skip WebCrypto's round trip through
 * the thread pool: about 2x faster a verify and 3x a sign here.
 */
export interface Ed25519Platform {
  sign: (key: CryptoKey, data: Uint8Array) => Promise<Uint8Array> | Uint8Array
  /** True for a valid signature; false or a throw sends it to the reference check. */
  verify: (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array) => Promise<boolean> | boolean
}

const webCrypto: Ed25519Platform = {
  sign: async (key, data) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, data as Uint8Array<ArrayBuffer>)),
  verify: async (publicKey, data, signature) => await crypto.subtle.verify({ name: 'Ed25519' }, await importPublicKey(publicKey), signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>)
}
let platform = webCrypto

/** Signs and verifies with `next` from now on (WebCrypto again without one). */
export function useEd25519Platform (next: Ed25519Platform = webCrypto): void {
  platform = next
}

export async function signWith (key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return await platform.sign(key, data)
}

const publicKeys = new Map<string, Promise<CryptoKey>>()
const PUBLIC_KEY_CACHE_SIZE = 1024

/**
 * Verifies with the platform (WebCrypto, or node:crypto; about 10x faster than the JS reference),
 * and re-checks a rejection with noble, the code Ceramic's stack uses: the platforms are stricter
 * on edge-case encodings, and both nodes must accept the same set of signatures.
 */
export async function verifyEd25519 (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false
  try {
    if (await platform.verify(publicKey, data, signature)) return true
  } catch {
    // An unimportable key or an error from the platform: let the reference decide.
  }
  try {
    return ed25519.verify(signature, data, publicKey, { zip215: true })
  } catch {
    return false
  }
}

async function importPublicKey (publicKey: Uint8Array): Promise<CryptoKey> {
  const cacheKey = publicKey.join(',')
  let key = publicKeys.get(cacheKey)
  if (key == null) {
    if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.clear()
    key = crypto.subtle.importKey('raw', publicKey as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['verify'])
    publicKeys.set(cacheKey, key)
    key.catch(() => publicKeys.delete(cacheKey))
  }
  return await key
}
