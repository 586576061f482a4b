import { openDB } from 'idb'
import { createKeySigner, type Signer } from './signer.js'

interface StoredKey { privateKey: CryptoKey, publicKey: Uint8Array }

const KEY_NAME = 'device'

/**
 * This browser's own did:key: an Ed25519 WebCrypto key pair created once, non-extractable, kept
 * in IndexedDB (CryptoKeys are structured-cloneable, so the private key never exists as bytes).
 * It signs until the user signs in with a wallet (issue 5).
 */
export async function loadDeviceSigner (dbName = 'kiln-identity'): Promise<Signer> {
  const db = await openDB(dbName, 1, { upgrade: (upgrading) => { upgrading.createObjectStore('keys') } })
  try {
    let stored = await db.get('keys', KEY_NAME) as StoredKey | undefined
    if (stored == null) {
      const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as CryptoKeyPair
      const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
      const created: StoredKey = { privateKey: pair.privateKey, publicKey }
      // `add` fails if another context created one first; then that one is used.
      await db.add('keys', created, KEY_NAME).catch(() => {})
      stored = await db.get('keys', KEY_NAME) as StoredKey
    }
    return createKeySigner(stored.privateKey, stored.publicKey)
  } finally {
    db.close()
  }
}
