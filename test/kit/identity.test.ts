import { describe, expect, it } from 'vitest'
import { privateKeyToAccount } from 'viem/accounts'
import { ed25519 } from '@noble/curves/ed25519.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { base58btc } from 'multiformats/bases/base58'
import { base64 } from 'multiformats/bases/base64'
import { createJWT, EdDSASigner, ES256KSigner, verifyJWT } from 'did-jwt'
import { Resolver } from 'did-resolver'
import { getResolver } from 'key-did-resolver'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import {
  KIT, credentialsOf, identityOf, installKit, linkAccount, linkMessage, linkedAccountId, linkedAccounts, storeCredential, unlinkAccount, verifyCredential
} from '../../src/kit/index.js'
import { PUBLISHED } from '../../src/kit/published.js'
import { didKeyFromPublicKey } from '../../src/identity/did-key.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'
import { kilnSigner, seedFor } from '../fixtures/identities.js'

async function nodeOf (name: string): Promise<StreamNode> {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner(name) })
  await installKit(node)
  return node
}

async function share (from: StreamNode, to: StreamNode, ids: string[]): Promise<void> {
  for (const id of ids) await to.importCar(await from.exportCar(id))
}

const hex = (bytes: Uint8Array): `0x${string}` => `0x${Buffer.from(bytes).toString('hex')}`
/** A real Ethereum wallet (viem's local account: the same EIP-191 signing as MetaMask's personal_sign). */
const wallet = (name: string) => privateKeyToAccount(hex(seedFor(`eth-${name}`)))
/** A real Solana key pair: an Ed25519 key; the address is its public key in base58. */
function solanaWallet (name: string): { account: string, sign: (message: string) => Uint8Array } {
  const secret = seedFor(`sol-${name}`)
  const address = base58btc.baseEncode(ed25519.getPublicKey(secret))
  return { account: `solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp:${address}`, sign: (message) => ed25519.sign(new TextEncoder().encode(message), secret) }
}

async function ethLink (node: StreamNode, name: string, issued = 1_700_000_000_000): Promise<{ account: string, signature: string, issued: number }> {
  const w = wallet(name)
  const account = `eip155:1:${w.address}`
  const signature = await w.signMessage({ message: await linkMessage(node.controller as string, account, issued) })
  return { account, signature, issued }
}

describe('linked accounts: one identity across wallets, each proof checked on read', () => {
  it('an Ethereum and a Solana account link to a did:key identity; readers list them and find the identity from each account', async () => {
    const alice = await nodeOf('alice')
    const did = alice.controller as string
    const eth = await ethLink(alice, 'alice')
    const sol = solanaWallet('alice')
    const solIssued = 1_700_000_100_000
    const ethDoc = await linkAccount(alice, { did, ...eth })
    const solDoc = await linkAccount(alice, { did, account: sol.account, issued: solIssued, signature: sol.sign(await linkMessage(did, sol.account, solIssued)) })
    // One document per account, at a StreamID anyone computes from the identity and the account.
    expect(ethDoc.id).toBe(await linkedAccountId(did, eth.account))
    expect(solDoc.id).toBe(await linkedAccountId(did, sol.account))

    // Another node that got the documents (as sync brings them) checks the proofs itself.
    const reader = await nodeOf('reader')
    await share(alice, reader, [ethDoc.id, solDoc.id])
    const links = await linkedAccounts(reader, did)
    expect(links).toEqual([
      { id: ethDoc.id, did, account: eth.account.toLowerCase(), issued: eth.issued, valid: true },
      { id: solDoc.id, did, account: sol.account, issued: solIssued, valid: true }
    ])
    expect(await identityOf(reader, eth.account)).toEqual([did])
    // Ethereum addresses are one account whatever their letter case.
    expect(await identityOf(reader, eth.account.toLowerCase())).toEqual([did])
    expect(await identityOf(reader, sol.account)).toEqual([did])
    expect(await identityOf(reader, `eip155:1:${wallet('nobody').address}`)).toEqual([])
  })

  it('a proof that does not hold is refused on write, and nothing is stored', async () => {
    const alice = await nodeOf('alice')
    const did = alice.controller as string
    const eth = await ethLink(alice, 'alice')
    const before = await alice.stats()
    // Signed by another wallet than the account named.
    const other = await ethLink(alice, 'mallory')
    await expect(linkAccount(alice, { did, account: eth.account, issued: eth.issued, signature: other.signature })).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
    // The right wallet, but a message for another time than the one recorded.
    await expect(linkAccount(alice, { did, ...eth, issued: eth.issued + 1 })).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
    // A Solana signature of another message.
    const sol = solanaWallet('alice')
    await expect(linkAccount(alice, { did, account: sol.account, issued: 1, signature: sol.sign('something else') })).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
    await expect(linkAccount(alice, { did, account: 'cosmos:hub:abc', issued: 1, signature: '0x' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' })
    expect(await alice.stats()).toEqual(before)
  })

  it('a proof copied onto another identity\'s stream does not count for it: listed as invalid only when asked, never in identityOf', async () => {
    const [alice, mallory] = [await nodeOf('alice'), await nodeOf('mallory')]
    const eth = await ethLink(alice, 'alice')
    const real = await linkAccount(alice, { did: alice.controller as string, ...eth })
    // Mallory writes Alice's proof into a document of her own, past the helper's check.
    const copied = await mallory.create({ type: 'MID', model: KIT.linkedAccount, unique: [eth.account.toLowerCase()], content: { account: eth.account.toLowerCase(), issued: eth.issued, signature: eth.signature, status: 'active' } })
    const reader = await nodeOf('reader')
    await share(alice, reader, [real.id])
    await share(mallory, reader, [copied.id])

    expect(await linkedAccounts(reader, mallory.controller as string)).toEqual([])
    expect(await linkedAccounts(reader, mallory.controller as string, { includeInvalid: true })).toEqual([
      { id: copied.id, did: mallory.controller, account: eth.account.toLowerCase(), issued: eth.issued, valid: false, problem: 'bad-signature' }
    ])
    expect(await identityOf(reader, eth.account)).toEqual([alice.controller])
  })

  it('a revoked link stops counting for every reader; linking again renews it', async () => {
    const alice = await nodeOf('alice')
    const did = alice.controller as string
    const eth = await ethLink(alice, 'alice')
    const link = await linkAccount(alice, { did, ...eth })
    const reader = await nodeOf('reader')
    await share(alice, reader, [link.id])
    expect(await identityOf(reader, eth.account)).toEqual([did])

    const revoked = await unlinkAccount(alice, did, eth.account)
    expect((revoked.content as { status: string }).status).toBe('revoked')
    await share(alice, reader, [link.id])
    expect(await linkedAccounts(reader, did, { includeInvalid: true })).toEqual([])
    expect(await identityOf(reader, eth.account)).toEqual([])

    const renewed = await ethLink(alice, 'alice', eth.issued + 60_000)
    expect((await linkAccount(alice, { did, ...renewed })).id).toBe(link.id)
    expect((await linkedAccounts(alice, did)).map((l) => l.issued)).toEqual([renewed.issued])
  })

  it('Ceramic\'s own handlers accept the LinkedAccount and Credential Models and their documents, revoked and all', async () => {
    const alice = await nodeOf('alice')
    const did = alice.controller as string
    const eth = await ethLink(alice, 'alice')
    const link = await linkAccount(alice, { did, ...eth })
    const revoked = await unlinkAccount(alice, did, eth.account)
    const issuer = await issuerKey('university')
    const credential = await storeCredential(alice, await issue(issuer, did, { degree: 'BSc' }))
    const world = new CeramicWorld()
    for (const name of ['linkedAccount', 'credential'] as const) await world.addCar(base64.baseDecode(PUBLISHED[name].car), KIT[name])
    for (const doc of [revoked, credential]) {
      await world.addCar(await alice.exportCar(doc.id), doc.id)
      expect((await world.view(doc.id)).content).toEqual(doc.content)
    }
    expect(link.id).toBe(revoked.id)
  })
})

interface Issuer { did: string, signer: ReturnType<typeof EdDSASigner>, alg: string }

async function issuerKey (name: string, type: 'ed25519' | 'secp256k1' = 'ed25519'): Promise<Issuer> {
  const secret = seedFor(`issuer-${name}`)
  if (type === 'ed25519') return { did: didKeyFromPublicKey(ed25519.getPublicKey(secret)), signer: EdDSASigner(secret), alg: 'EdDSA' }
  // did:key of a secp256k1 key: multicodec 0xe7 0x01, then the compressed point.
  const did = `did:key:${base58btc.encode(new Uint8Array([0xe7, 0x01, ...secp256k1.getPublicKey(secret, true)]))}`
  return { did, signer: ES256KSigner(secret), alg: 'ES256K' }
}

const NOW = Math.floor(Date.now() / 1000)

/** A VC-JWT as did-jwt (the issuing library of did-jwt-vc) writes it. */
async function issue (issuer: Issuer, subject: string, claims: Record<string, unknown>, times: { nbf?: number, exp?: number } = {}): Promise<string> {
  const payload = {
    sub: subject,
    nbf: times.nbf ?? NOW - 60,
    ...(times.exp == null ? {} : { exp: times.exp }),
    vc: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', 'DegreeCredential'], credentialSubject: { id: subject, ...claims } }
  }
  return await createJWT(payload, { issuer: issuer.did, signer: issuer.signer, alg: issuer.alg }, { kid: `${issuer.did}#${issuer.did.slice('did:key:'.length)}` })
}

const didJwtAccepts = async (jwt: string): Promise<boolean> => await verifyJWT(jwt, { resolver: new Resolver(getResolver()), policies: { nbf: false, exp: false } }).then(() => true, () => false)

/** The JWT with its payload changed and its signature kept: a forgery. */
function forge (jwt: string, change: (payload: Record<string, unknown>) => void): string {
  const [header, payload, signature] = jwt.split('.')
  const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  change(decoded)
  return `${header}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`
}

describe('verifiable credentials (VC-JWT), checked on read', () => {
  it('a credential from an Ed25519 or a secp256k1 did:key issuer is kept as a document and listed for its subject with its claims', async () => {
    const alice = await nodeOf('alice')
    const subject = alice.controller as string
    const university = await issuerKey('university')
    const employer = await issuerKey('employer', 'secp256k1')
    const degree = await issue(university, subject, { degree: 'BSc', field: 'Physics' }, { exp: NOW + 3600 })
    const job = await issue(employer, subject, { role: 'Engineer' }, { nbf: NOW - 30 })
    expect(await didJwtAccepts(degree)).toBe(true)
    expect(await didJwtAccepts(job)).toBe(true)
    const kept = [await storeCredential(alice, degree), await storeCredential(alice, job)]

    const reader = await nodeOf('reader')
    await share(alice, reader, kept.map((d) => d.id))
    const held = await credentialsOf(reader, subject)
    expect(held.map((c) => [c.valid, c.credential?.issuer, c.credential?.claims])).toEqual([
      [true, employer.did, { role: 'Engineer' }],
      [true, university.did, { degree: 'BSc', field: 'Physics' }]
    ])
    expect(held[1].credential).toMatchObject({ subject, types: ['VerifiableCredential', 'DegreeCredential'], issued: (NOW - 60) * 1000, expires: (NOW + 3600) * 1000 })
    expect(await verifyCredential(degree, { issuer: university.did })).toMatchObject({ valid: true })
    expect(await verifyCredential(degree, { issuer: employer.did })).toMatchObject({ valid: false, reason: 'wrong-issuer' })
  })

  it('expired, not yet valid, forged and wrongly issued credentials are invalid with their reason, and refused on write', async () => {
    const alice = await nodeOf('alice')
    const subject = alice.controller as string
    const university = await issuerKey('university')
    const mallory = await issuerKey('mallory')
    const expired = await issue(university, subject, { degree: 'BSc' }, { nbf: NOW - 7200, exp: NOW - 3600 })
    const future = await issue(university, subject, { degree: 'BSc' }, { nbf: NOW + 3600 })
    const good = await issue(university, subject, { degree: 'BSc' })
    const forged = forge(good, (p) => { (p.vc as { credentialSubject: Record<string, unknown> }).credentialSubject.degree = 'PhD' })
    // Mallory signs with her key in the university's name.
    const impersonated = forge(await issue(mallory, subject, { degree: 'PhD' }), (p) => { p.iss = university.did })
    expect(await didJwtAccepts(forged)).toBe(false)

    expect(await verifyCredential(expired)).toMatchObject({ valid: false, reason: 'expired' })
    // The same credential was valid while it lasted.
    expect(await verifyCredential(expired, { at: new Date((NOW - 5000) * 1000) })).toMatchObject({ valid: true })
    expect(await verifyCredential(future)).toMatchObject({ valid: false, reason: 'not-yet-valid' })
    expect(await verifyCredential(forged)).toMatchObject({ valid: false, reason: 'bad-signature' })
    expect(await verifyCredential(impersonated)).toMatchObject({ valid: false, reason: 'wrong-issuer' })
    expect(await verifyCredential('not.a.jwt')).toMatchObject({ valid: false, reason: 'malformed' })

    const before = await alice.stats()
    await expect(storeCredential(alice, expired)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', details: { reason: 'expired' } })
    await expect(storeCredential(alice, forged)).rejects.toMatchObject({ code: 'ERR_INVALID_SIGNATURE' })
    await expect(storeCredential(alice, impersonated)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', details: { reason: 'wrong-issuer' } })
    expect(await alice.stats()).toEqual(before)
  })

  it('documents written past the helper are judged on read: a forged JWT, or fields that misstate it, are listed only as invalid', async () => {
    const [alice, mallory] = [await nodeOf('alice'), await nodeOf('mallory')]
    const subject = alice.controller as string
    const university = await issuerKey('university')
    const good = await issue(university, subject, { degree: 'BSc' })
    const content = { jwt: good, issuer: university.did, subject, types: ['VerifiableCredential', 'DegreeCredential'], issued: (NOW - 60) * 1000 }
    const kept = await alice.create({ type: 'MID', model: KIT.credential, content })
    const forged = await mallory.create({ type: 'MID', model: KIT.credential, content: { ...content, jwt: forge(good, (p) => { (p.vc as { credentialSubject: Record<string, unknown> }).credentialSubject.degree = 'PhD' }) } })
    // A real credential for Alice filed under Mallory as its subject: the document's field lies.
    const misfiled = await mallory.create({ type: 'MID', model: KIT.credential, content: { ...content, subject: mallory.controller } })
    const reader = await nodeOf('reader')
    await share(alice, reader, [kept.id])
    await share(mallory, reader, [forged.id, misfiled.id])

    expect((await credentialsOf(reader, subject)).map((c) => c.id)).toEqual([kept.id])
    expect((await credentialsOf(reader, subject, { includeInvalid: true })).map((c) => [c.id, c.valid, c.reason]).sort()).toEqual([
      [forged.id, false, 'bad-signature'], [kept.id, true, undefined]
    ].sort())
    expect(await credentialsOf(reader, mallory.controller as string)).toEqual([])
    expect((await credentialsOf(reader, mallory.controller as string, { includeInvalid: true }))[0]).toMatchObject({ id: misfiled.id, valid: false, reason: 'mismatch' })
  })
})
