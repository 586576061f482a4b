import { createKeySigner, type Signer } from './signer.js'
import { openIdentityDb, type StoredKey } from './identity-db.js'

const KEY_NAME = 'device'

/**
 * This browser's own did:key: an Ed25519 WebCrypto key pair created once, non-extractable, kept
 * in IndexedDB (CryptoKeys are structured-cloneable). It signs when no wallet session is in use.
 */
export async function loadDeviceSigner (dbName?: string): Promise<Signer> {
  const db = await openIdentityDb(dbName)
  try {
    let stored = await db.get('keys', KEY_NAME)
    if (stored == null) {
      // `add` fails if another context created one first; then that one is used.
      await db.add('keys', await generateKey(), KEY_NAME).catch(() => {})
      stored = await db.get('keys', KEY_NAME) as StoredKey
    }
    return createKeySigner(stored.privateKey, stored.publicKey)
  } finally {
    db.close()
  }
}

/** A fresh non-extractable Ed25519 key pair and its raw public key. */
export async function generateKey (): Promise<StoredKey> {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']) as CryptoKeyPair
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) }
}
