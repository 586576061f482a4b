/**
 * The node's side of private documents: sealing content for its readers' devices on every write,
 * opening it for snapshots, and checking what peers send. Keys live only here, in the worker's (or
 * server's) memory: the content keys this node unwrapped, by stream and key id.
 */
import type { PrivateState, ShareChange, StreamSnapshot } from '../api/types.js'
import { InvalidInputError, NoReaderKeyError, NotAReaderError } from '../errors.js'
import type { EncryptionKey } from '../identity/encryption-key.js'
import {
  type ContentKey, type PrivateEnvelope, type PrivatePlaintext, contentKeyIdOf, isPrivateContent, newContentKey, openContent,
  recipientsOf, sealEnvelope, unwrapContentKey, wrapContentKey
} from '../private/envelope.js'

export interface PrivateDocsComponents {
  /** This device's X25519 key; without one the node stores private documents but reads none. */
  key?: EncryptionKey
  /** The device keys `account` has published (its key directory; fetched from peers if need be). */
  deviceKeysOf: (account: string) => Promise<string[]>
}

/** What one private write stores, and what it shows. */
export interface SealedWrite {
  envelope: PrivateEnvelope
  plaintext: PrivatePlaintext
}

export interface PrivateDocs {
  /** The snapshot a page gets: content decrypted (or null and `readable: false`). `fallback` is a later version whose key may open this one. */
  reveal: (snapshot: StreamSnapshot, fallback?: () => Promise<unknown>) => Promise<StreamSnapshot>
  /** The envelope of a new private document, and its key (to `remember` once its StreamID is known). */
  create: (content: unknown, readers: string[], author: string) => Promise<SealedWrite & { key: ContentKey }>
  /** The envelope after a write: new content, or new readers (`share`), on the current envelope. */
  change: (id: string, current: PrivateEnvelope, controller: string, next: { content?: (old: unknown) => unknown, share?: ShareChange }) => Promise<SealedWrite>
  /** Refuses (InvalidCiphertextError) content from a peer that this node should be able to read and cannot. */
  check: (id: string, content: unknown) => Promise<void>
  /** Remembers the key a new document was sealed with, once its StreamID is known. */
  remember: (id: string, key: ContentKey) => void
}

/** Content keys kept in memory at most (each is 32 bytes; a dropped one is unwrapped again). */
const MAX_CACHED_KEYS = 4096

export function createPrivateDocs ({ key, deviceKeysOf }: PrivateDocsComponents): PrivateDocs {
  const keys = new Map<string, ContentKey>()
  const cacheKey = (id: string, keyId: string): string => `${id} ${keyId}`

  const learn = (id: string, contentKey: ContentKey): void => {
    if (keys.size >= MAX_CACHED_KEYS) keys.delete(keys.keys().next().value as string)
    keys.set(cacheKey(id, contentKey.id), contentKey)
  }

  /** The key that opens `envelope`: known already, or unwrapped for this device; undefined when neither. */
  async function keyFor (id: string, envelope: PrivateEnvelope): Promise<ContentKey | undefined> {
    const keyId = contentKeyIdOf(envelope)
    const known = keyId == null ? undefined : keys.get(cacheKey(id, keyId))
    if (known != null) return known
    if (key == null) return undefined
    const unwrapped = await unwrapContentKey(envelope, key)
    if (unwrapped != null) learn(id, unwrapped)
    return unwrapped
  }

  async function open (id: string, envelope: PrivateEnvelope): Promise<{ key: ContentKey, plaintext: PrivatePlaintext } | undefined> {
    const contentKey = await keyFor(id, envelope)
    if (contentKey == null) return undefined
    return { key: contentKey, plaintext: await openContent(envelope, contentKey) }
  }

  /** Every device key of these accounts (this device's too); an account with none is NoReaderKeyError. */
  async function devicesOf (readers: string[], author: string): Promise<string[]> {
    const devices = new Set<string>()
    for (const account of readers) {
      const published = await deviceKeysOf(account)
      if (published.length === 0 && account !== author) {
        throw new NoReaderKeyError(`${account} has published no encryption key (one of its devices must call publishEncryptionKey), or its key directory was not found on this node's peers`, { account })
      }
      for (const device of published) devices.add(device)
    }
    if (key != null) devices.add(key.id)
    return [...devices].sort()
  }

  function requireKey (): EncryptionKey {
    if (key == null) throw new NotAReaderError('This node has no encryption key, so it cannot write private documents')
    return key
  }

  return {
    async reveal (snapshot, fallback) {
      if (!isPrivateContent(snapshot.content)) return snapshot
      let opened = await open(snapshot.id, snapshot.content)
      if (opened == null && fallback != null) {
        // A version from before this device was added: the key of a later version may be the same one.
        const later = await fallback()
        if (isPrivateContent(later)) await keyFor(snapshot.id, later)
        opened = await open(snapshot.id, snapshot.content)
      }
      const state: PrivateState = opened == null ? { readable: false } : { readable: true, readers: opened.plaintext.readers }
      return { ...snapshot, content: opened == null ? null : opened.plaintext.content, private: state }
    },

    async create (content, readers, author) {
      requireKey()
      if (!Array.isArray(readers) || !readers.every((r) => typeof r === 'string' && r.startsWith('did:'))) {
        throw new InvalidInputError('private.readers is a list of DIDs', { readers })
      }
      const all = [...new Set([author, ...readers])]
      const contentKey = newContentKey()
      const plaintext = { content: content ?? null, readers: all }
      const envelope = await sealEnvelope(plaintext, contentKey, await wrapContentKey(contentKey, await devicesOf(all, author)))
      return { envelope, plaintext, key: contentKey }
    },

    async change (id, current, controller, next) {
      requireKey()
      const opened = await open(id, current)
      if (opened == null) throw new NotAReaderError(`This node holds no key for private document ${id}: a reader's device must share it again after this device's key is published`, { id })
      let readers = opened.plaintext.readers
      const { add = [], remove = [] } = next.share ?? {}
      if (![...add, ...remove].every((r) => typeof r === 'string' && r.startsWith('did:'))) throw new InvalidInputError('share takes lists of DIDs', { add, remove })
      if (remove.includes(controller)) throw new InvalidInputError('The document\'s controller always reads it', { controller })
      readers = [...new Set([...readers, ...add])].filter((r) => !remove.includes(r))
      const devices = await devicesOf(readers, controller)
      const before = new Set(recipientsOf(current))
      // A device gone (a reader removed, or a device dropped from a directory) must not read what
      // comes next: a new content key. Only additions: the same key, wrapped for one more device.
      const lost = [...before].some((d) => !devices.includes(d))
      const contentKey = lost ? newContentKey() : opened.key
      const wrapping = !lost && devices.length === before.size ? current.keys : await wrapContentKey(contentKey, devices)
      if (lost) learn(id, contentKey)
      const content = next.content == null ? opened.plaintext.content : next.content(opened.plaintext.content)
      const plaintext = { content, readers }
      return { envelope: await sealEnvelope(plaintext, contentKey, wrapping), plaintext }
    },

    async check (id, content) {
      if (!isPrivateContent(content)) return
      await open(id, content)
    },

    remember: (id, contentKey) => { learn(id, contentKey) }
  }
}
