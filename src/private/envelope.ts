/**
 * A private document's content as every peer stores it: two JWEs in JSON (General and Flattened
 * serializations, RFC 7516), so the stream stays an ordinary Tile whose content is an object.
 *
 * - `keys`: the document's content key, wrapped for each reader device's X25519 key
 *   (ECDH-ES+A256KW, one recipient per device, `kid` = the device key's did:key; the protected
 *   header's `ckid` is the content key's id).
 * - `data`: the content and the reader accounts, under the content key (`dir`, A256GCM), its
 *   protected header naming the key (`kid`) so a key learnt from a later version opens an
 *   earlier one that used the same key.
 *
 * Who reads is inside `data`: peers see how many devices can read, not which accounts.
 */
import { FlattenedEncrypt, GeneralEncrypt, decodeProtectedHeader, flattenedDecrypt, type FlattenedJWE, type GeneralJWE } from 'jose'
import { toString as bytesToString } from 'uint8arrays'
import { InvalidCiphertextError } from '../errors.js'
import type { EncryptionKey } from '../identity/encryption-key.js'
import { x25519FromDidKey } from '../identity/encryption-key.js'

export const PRIVATE_ENVELOPE_VERSION = 1

export interface PrivateEnvelope {
  kilnPrivate: typeof PRIVATE_ENVELOPE_VERSION
  keys: GeneralJWE
  data: FlattenedJWE
}

/** What `data` holds once decrypted. */
export interface PrivatePlaintext {
  content: unknown
  /** The accounts (DIDs) this document is shared with, its controller included. */
  readers: string[]
}

/** A document's content key: 32 random bytes, held only in the memory of its readers' nodes. */
export interface ContentKey {
  /** Random, public: names the key in `data` and in `keys`. */
  id: string
  bytes: Uint8Array
}

const KEY_WRAP = 'ECDH-ES+A256KW'
const CONTENT_ENCRYPTION = 'A256GCM'

export function newContentKey (): ContentKey {
  return { id: bytesToString(crypto.getRandomValues(new Uint8Array(16)), 'base64url'), bytes: crypto.getRandomValues(new Uint8Array(32)) }
}

/** Whether a stream's content is a private envelope (by shape: the marker and both JWEs). */
export function isPrivateContent (content: unknown): content is PrivateEnvelope {
  if (content == null || typeof content !== 'object') return false
  const c = content as Partial<PrivateEnvelope>
  return c.kilnPrivate === PRIVATE_ENVELOPE_VERSION && c.keys != null && typeof c.keys === 'object' && c.data != null && typeof c.data === 'object'
}

/** The did:keys of the devices a content key is wrapped for. */
export function recipientsOf (envelope: PrivateEnvelope): string[] {
  const recipients = Array.isArray(envelope.keys.recipients) ? envelope.keys.recipients : []
  return recipients.map((r) => r.header?.kid).filter((kid): kid is string => typeof kid === 'string')
}

/** The id of the content key `data` is encrypted with (from its protected header; unchecked until decrypted). */
export function contentKeyIdOf (envelope: PrivateEnvelope): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(envelope.data)
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}

/** Wraps the content key for each device key (did:key of X25519). */
export async function wrapContentKey (key: ContentKey, deviceKeys: string[]): Promise<GeneralJWE> {
  // `kid` names each recipient's device key, so the content key's id is `ckid` here (header names must not repeat).
  const encrypt = new GeneralEncrypt(key.bytes).setProtectedHeader({ enc: CONTENT_ENCRYPTION, ckid: key.id })
  for (const kid of [...new Set(deviceKeys)].sort()) {
    const publicKey = await crypto.subtle.importKey('raw', x25519FromDidKey(kid) as Uint8Array<ArrayBuffer>, { name: 'X25519' }, true, [])
    encrypt.addRecipient(publicKey).setUnprotectedHeader({ alg: KEY_WRAP, kid })
  }
  return await encrypt.encrypt()
}

/**
 * The content key, if it is wrapped for `device`; undefined if it is not. A recipient for this
 * device whose wrapping does not open (tampered, or not a key) is InvalidCiphertextError.
 */
export async function unwrapContentKey (envelope: PrivateEnvelope, device: EncryptionKey): Promise<ContentKey | undefined> {
  const { keys } = envelope
  const mine = (Array.isArray(keys.recipients) ? keys.recipients : []).find((r) => r.header?.kid === device.id)
  if (mine == null) return undefined
  const flattened: FlattenedJWE = { protected: keys.protected, iv: keys.iv, ciphertext: keys.ciphertext, tag: keys.tag, header: mine.header }
  if (mine.encrypted_key != null) flattened.encrypted_key = mine.encrypted_key
  if (keys.unprotected != null) flattened.unprotected = keys.unprotected
  const opened = await decrypting('The content key', async () => await flattenedDecrypt(flattened, device.privateKey, { keyManagementAlgorithms: [KEY_WRAP], contentEncryptionAlgorithms: [CONTENT_ENCRYPTION] }))
  const id = opened.protectedHeader?.ckid
  if (typeof id !== 'string' || opened.plaintext.length !== 32) throw new InvalidCiphertextError('The wrapped content key is not a 32-byte key with an id')
  return { id, bytes: opened.plaintext }
}

/** Encrypts the content and its reader list under the content key. */
export async function sealContent (plaintext: PrivatePlaintext, key: ContentKey): Promise<FlattenedJWE> {
  const bytes = new TextEncoder().encode(JSON.stringify(plaintext))
  return await new FlattenedEncrypt(bytes).setProtectedHeader({ alg: 'dir', enc: CONTENT_ENCRYPTION, kid: key.id }).encrypt(key.bytes)
}

/** Decrypts `data`; a tampered or malformed one is InvalidCiphertextError. */
export async function openContent (envelope: PrivateEnvelope, key: ContentKey): Promise<PrivatePlaintext> {
  const opened = await decrypting('The private content', async () => await flattenedDecrypt(envelope.data, key.bytes, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: [CONTENT_ENCRYPTION] }))
  let plaintext: Partial<PrivatePlaintext>
  try {
    plaintext = JSON.parse(new TextDecoder().decode(opened.plaintext)) as Partial<PrivatePlaintext>
  } catch (err) {
    throw new InvalidCiphertextError('The private content decrypts to something that is not JSON', undefined, { cause: err })
  }
  if (!Array.isArray(plaintext.readers) || !plaintext.readers.every((r) => typeof r === 'string') || !('content' in plaintext)) {
    throw new InvalidCiphertextError('The private content lacks its content or readers')
  }
  return { content: plaintext.content, readers: plaintext.readers }
}

/** The envelope a write stores: the key wrapping (kept or new) and the content sealed anew. */
export async function sealEnvelope (plaintext: PrivatePlaintext, key: ContentKey, keys: GeneralJWE): Promise<PrivateEnvelope> {
  return { kilnPrivate: PRIVATE_ENVELOPE_VERSION, keys, data: await sealContent(plaintext, key) }
}

async function decrypting<T> (what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    throw new InvalidCiphertextError(`${what} does not decrypt: it was tampered with or is malformed`, { reason: (err as { code?: string }).code ?? (err as Error).name }, { cause: err })
  }
}
