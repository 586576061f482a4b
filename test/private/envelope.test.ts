import { describe, expect, it } from 'vitest'
import { encryptionKeyFromSeed, generateEncryptionKey, x25519DidKey, x25519FromDidKey } from '../../src/identity/encryption-key.js'
import {
  contentKeyIdOf, isPrivateContent, newContentKey, openContent, recipientsOf, sealEnvelope, unwrapContentKey, wrapContentKey
} from '../../src/private/envelope.js'
import { deviceKeysOf, keyDirectoryId, withDeviceKey } from '../../src/private/key-directory.js'
import { seedFor } from '../fixtures/identities.js'

/** One character of a base64url string changed (still base64url). */
const flip = (text: string, at = 5): string => text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1)

describe('private documents: the JWE envelope', () => {
  it('a device key is X25519 as did:key (z6LS…), non-extractable, the same from the same seed', async () => {
    const key = await encryptionKeyFromSeed(seedFor('alice-x'))
    expect(key.id).toMatch(/^did:key:z6LS/)
    expect(key.privateKey.extractable).toBe(false)
    expect((await encryptionKeyFromSeed(seedFor('alice-x'))).id).toBe(key.id)
    expect(x25519DidKey(x25519FromDidKey(key.id))).toBe(key.id)
    const fresh = await generateEncryptionKey()
    expect(fresh.privateKey.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('pkcs8', fresh.privateKey)).rejects.toThrow()
    // An Ed25519 did:key is a signing key, not a recipient.
    expect(() => x25519FromDidKey('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')).toThrow(/X25519/)
  })

  it('each reader device unwraps the content key; a device it was not wrapped for gets nothing', async () => {
    const alice = await encryptionKeyFromSeed(seedFor('alice-x'))
    const bob = await encryptionKeyFromSeed(seedFor('bob-x'))
    const carol = await encryptionKeyFromSeed(seedFor('carol-x'))
    const key = newContentKey()
    const envelope = await sealEnvelope({ content: { title: 'plan' }, readers: ['did:a', 'did:b'] }, key, await wrapContentKey(key, [alice.id, bob.id]))
    expect(isPrivateContent(envelope)).toBe(true)
    expect(isPrivateContent(JSON.parse(JSON.stringify(envelope)))).toBe(true)
    expect(recipientsOf(envelope)).toEqual([alice.id, bob.id].sort())
    expect(contentKeyIdOf(envelope)).toBe(key.id)
    // Standard JWE JSON: General serialization for the keys, Flattened for the data.
    expect(envelope.keys.recipients?.[0].header).toMatchObject({ alg: 'ECDH-ES+A256KW', epk: { kty: 'OKP', crv: 'X25519' } })
    expect(JSON.stringify(envelope)).not.toContain('plan')
    for (const device of [alice, bob]) {
      const unwrapped = await unwrapContentKey(envelope, device)
      expect(unwrapped?.id).toBe(key.id)
      expect(await openContent(envelope, unwrapped!)).toEqual({ content: { title: 'plan' }, readers: ['did:a', 'did:b'] })
    }
    expect(await unwrapContentKey(envelope, carol)).toBeUndefined()
  })

  it('tampered ciphertext, tag or wrapped key is refused with ERR_INVALID_CIPHERTEXT', async () => {
    const bob = await encryptionKeyFromSeed(seedFor('bob-x'))
    const key = newContentKey()
    const envelope = await sealEnvelope({ content: { n: 1 }, readers: ['did:b'] }, key, await wrapContentKey(key, [bob.id]))
    await expect(openContent({ ...envelope, data: { ...envelope.data, ciphertext: flip(envelope.data.ciphertext) } }, key)).rejects.toMatchObject({ code: 'ERR_INVALID_CIPHERTEXT' })
    await expect(openContent({ ...envelope, data: { ...envelope.data, tag: flip(envelope.data.tag!) } }, key)).rejects.toMatchObject({ code: 'ERR_INVALID_CIPHERTEXT' })
    await expect(openContent(envelope, newContentKey())).rejects.toMatchObject({ code: 'ERR_INVALID_CIPHERTEXT' })
    const recipients = envelope.keys.recipients!.map((r) => ({ ...r, encrypted_key: flip(r.encrypted_key!) }))
    await expect(unwrapContentKey({ ...envelope, keys: { ...envelope.keys, recipients } }, bob)).rejects.toMatchObject({ code: 'ERR_INVALID_CIPHERTEXT' })
  })

  it('a key directory is found from the DID alone and lists each device key once', async () => {
    const id = await keyDirectoryId('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')
    expect(id).toMatch(/^k/)
    expect(await keyDirectoryId('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK')).toBe(id)
    expect(await keyDirectoryId('did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG')).not.toBe(id)
    const a = (await encryptionKeyFromSeed(seedFor('a'))).id
    const b = (await encryptionKeyFromSeed(seedFor('b'))).id
    const one = withDeviceKey(null, a, 1)
    expect(one).toEqual({ devices: [{ key: a, added: 1 }] })
    expect(withDeviceKey(one, a)).toBeUndefined()
    expect(deviceKeysOf(withDeviceKey(one, b, 2))).toEqual([a, b])
    expect(deviceKeysOf({ devices: [{ key: 'did:key:z6Mk…' }, null, 3, { key: a }] })).toEqual([a])
  })
})
