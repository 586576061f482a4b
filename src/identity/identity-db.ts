import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { Cacao } from '@didtools/cacao'

/** A key pair kept as WebCrypto keys: the private key is non-extractable, so it never exists as bytes. */
export interface StoredKey { privateKey: CryptoKey, publicKey: Uint8Array }

export interface StoredSession extends StoredKey {
  /** The account the session writes for (the CACAO issuer, a did:pkh). */
  account: string
  cacao: Cacao
  createdAt: number
}

interface IdentitySchema extends DBSchema {
  keys: { key: string, value: StoredKey }
  sessions: { key: string, value: StoredSession }
  /** Small named values: the libp2p peer key (protobuf, base64), ... */
  settings: { key: string, value: string }
}

export type IdentityDB = IDBPDatabase<IdentitySchema>

/** This origin's identities: the device key (v1), wallet sessions (v2) and the peer key (v3), apart from stream data. */
export async function openIdentityDb (name = 'kiln-identity'): Promise<IdentityDB> {
  return await openDB<IdentitySchema>(name, 3, {
    upgrade (db, oldVersion) {
      if (oldVersion < 1) db.createObjectStore('keys')
      if (oldVersion < 2) db.createObjectStore('sessions', { keyPath: 'account' })
      if (oldVersion < 3) db.createObjectStore('settings')
    }
  })
}
