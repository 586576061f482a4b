import type { Cacao } from '@didtools/cacao'
import type { SessionInfo } from '../api/types.js'
import { InvalidCapabilityError } from '../errors.js'
import { verifySessionCapability } from './capability.js'
import { didKeyFromPublicKey } from './did-key.js'
import { generateKey } from './device-key.js'
import { openIdentityDb, type StoredKey, type StoredSession } from './identity-db.js'
import { sameController, type Identity } from './identity.js'
import { createKeySigner, withCapability, type Signer } from './signer.js'

export type { SessionInfo }

export interface SessionKeeper extends Identity {
  /** Makes a new session key, kept in the worker; the page gets only its DID, the CACAO audience. */
  prepare: () => Promise<string>
  /** Verifies the wallet's CACAO for a prepared key, stores the session and makes it active. */
  complete: (cacao: Cacao) => Promise<SessionInfo>
  list: () => SessionInfo[]
  /** Forgets one account's session (or all); its key is deleted. */
  signOut: (account?: string) => Promise<void>
}

/**
 * Wallet sessions for a browser node, as did-session keeps them but inside the worker: the key is a
 * non-extractable WebCrypto key stored with its CACAO in IndexedDB, shared by every tab. Without a
 * session the node writes as `fallback` (the device key).
 */
export async function createSessionKeeper (fallback: Signer, dbName?: string): Promise<SessionKeeper> {
  const db = await openIdentityDb(dbName)
  const sessions = new Map<string, { stored: StoredSession, signer: Signer }>()
  const pending = new Map<string, StoredKey>()
  for (const stored of await db.getAll('sessions')) sessions.set(stored.account, { stored, signer: await signerOf(stored) })

  const activeSession = (): { stored: StoredSession, signer: Signer } | undefined =>
    [...sessions.values()].sort((a, b) => b.stored.createdAt - a.stored.createdAt)[0]

  const info = (stored: StoredSession): SessionInfo => ({
    account: stored.account,
    sessionDid: didKeyFromPublicKey(stored.publicKey),
    resources: stored.cacao.p.resources ?? [],
    expiresAt: stored.cacao.p.exp,
    active: activeSession()?.stored.account === stored.account
  })

  return {
    // Once someone signed in, new streams belong to that account, even after the session expires:
    // signing then fails with ERR_CAPABILITY_EXPIRED instead of writing as another identity.
    author: () => activeSession()?.signer ?? fallback,
    signerFor (controller) {
      if (sameController(fallback.controller, controller)) return fallback
      return [...sessions.values()].find((s) => sameController(s.stored.account, controller))?.signer
    },
    async prepare () {
      const key = await generateKey()
      const did = didKeyFromPublicKey(key.publicKey)
      pending.set(did, key)
      return did
    },
    async complete (cacao) {
      const key = pending.get(cacao?.p?.aud)
      if (key == null) throw new InvalidCapabilityError(`The capability is for ${String(cacao?.p?.aud)}, which is not a session key this node prepared`)
      await verifySessionCapability(cacao, cacao.p.aud)
      const stored: StoredSession = { ...key, account: cacao.p.iss.toLowerCase().startsWith('did:pkh:eip155:') ? cacao.p.iss.toLowerCase() : cacao.p.iss, cacao, createdAt: Date.now() }
      await db.put('sessions', stored)
      pending.delete(cacao.p.aud)
      sessions.set(stored.account, { stored, signer: await signerOf(stored) })
      return info(stored)
    },
    list: () => [...sessions.values()].map((s) => info(s.stored)),
    async signOut (account) {
      const targets = account == null ? [...sessions.keys()] : [...sessions.keys()].filter((a) => sameController(a, account))
      for (const target of targets) {
        await db.delete('sessions', target)
        sessions.delete(target)
      }
    }
  }
}

async function signerOf (stored: StoredSession): Promise<Signer> {
  return await withCapability(createKeySigner(stored.privateKey, stored.publicKey), stored.cacao)
}
