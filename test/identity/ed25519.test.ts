import { ed25519 } from '@noble/curves/ed25519.js'
import { afterEach, describe, expect, it } from 'vitest'
import { type Ed25519Platform, importSeed, publicKeyFromSeed, signWith, useEd25519Platform, verifyEd25519 } from '../../src/identity/ed25519.js'
import { nodeEd25519 } from '../../src/identity/ed25519-node.js'

const seed = new Uint8Array(32).fill(9)
const publicKey = publicKeyFromSeed(seed)
const data = new TextEncoder().encode('a commit payload')
const flipped = (bytes: Uint8Array, at: number): Uint8Array => { const copy = bytes.slice(); copy[at] ^= 1; return copy }

// Importing ed25519-node.ts installs it; each test picks its platform.
afterEach(() => { useEd25519Platform() })

describe.each([['WebCrypto', undefined], ['node:crypto', nodeEd25519]] as Array<[string, Ed25519Platform | undefined]>)('Ed25519 on %s', (_name, platform) => {
  it('signs what the reference and the other platform verify, and refuses tampered data, signatures and keys', async () => {
    useEd25519Platform(platform)
    const key = await importSeed(seed)
    const signature = await signWith(key, data)
    expect(ed25519.verify(signature, data, publicKey)).toBe(true)
    expect(await verifyEd25519(publicKey, data, signature)).toBe(true)
    useEd25519Platform(platform === nodeEd25519 ? undefined : nodeEd25519)
    expect(await verifyEd25519(publicKey, data, signature)).toBe(true)
    useEd25519Platform(platform)
    expect(await verifyEd25519(publicKey, flipped(data, 3), signature)).toBe(false)
    expect(await verifyEd25519(publicKey, data, flipped(signature, 40))).toBe(false)
    expect(await verifyEd25519(publicKeyFromSeed(new Uint8Array(32).fill(8)), data, signature)).toBe(false)
    expect(await verifyEd25519(publicKey.slice(0, 31), data, signature)).toBe(false)
    expect(await verifyEd25519(publicKey, data, signature.slice(0, 63))).toBe(false)
  })
})

it('a signature the platform cannot check is decided by the reference (noble, as Ceramic uses)', async () => {
  const signature = ed25519.sign(data, seed)
  useEd25519Platform({ sign: () => { throw new Error('unused') }, verify: () => { throw new Error('no Ed25519 here') } })
  expect(await verifyEd25519(publicKey, data, signature)).toBe(true)
  expect(await verifyEd25519(publicKey, flipped(data, 0), signature)).toBe(false)
})
