import { createKeySigner, type Signer } from './signer.js'
import { openIdentityDb, type StoredKey } from './identity-db.js'
import { type EncryptionKey, encryptionKeyOf, generateEncryptionKey } from './encryption-key.js'

const KEY_NAME = 'device'
const ENCRYPTION_KEY_NAME = 'device-x25519'

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

/**
 * This browser's X25519 key for private documents: created once, non-extractable, kept in the
 * same IndexedDB as the signing key. The worker decrypts with it; pages never see it.
 */
export async function loadDeviceEncryptionKey (dbName?: string): Promise<EncryptionKey> {
  const db = await openIdentityDb(dbName)
  try {
    let stored = await db.get('keys', ENCRYPTION_KEY_NAME)
    if (stored == null) {
      const fresh = await generateEncryptionKey()
      // `add` fails if another context created one first; then that one is used.
      await db.add('keys', { privateKey: fresh.privateKey, publicKey: fresh.publicKey }, ENCRYPTION_KEY_NAME).catch(() => {})
      stored = await db.get('keys', ENCRYPTION_KEY_NAME) as StoredKey
    }
    return encryptionKeyOf(stored.privateKey, stored.publicKey)
  } finally {
    db.close()
  }
}
