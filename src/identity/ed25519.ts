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

export async function signWith (key: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, data as Uint8Array<ArrayBuffer>))
}

const publicKeys = new Map<string, Promise<CryptoKey>>()
const PUBLIC_KEY_CACHE_SIZE = 1024

/**
 * Verifies with WebCrypto (about 10x faster than the JS reference), and re-checks a rejection with
 * noble, the code Ceramic's stack uses: WebCrypto is stricter on edge-case encodings, and both nodes
 * must accept the same set of signatures.
 */
export async function verifyEd25519 (publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  if (signature.length !== 64) return false
  try {
    const key = await importPublicKey(publicKey)
    if (await crypto.subtle.verify({ name: 'Ed25519' }, key, signature as Uint8Array<ArrayBuffer>, data as Uint8Array<ArrayBuffer>)) return true
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
