import { describe, expect, it } from 'vitest'
import { createSessionKeeper } from '../../src/identity/sessions.js'
import { createDidKeySigner } from '../../src/identity/signer.js'
import { DAY, HOUR, didPkh, siweCacao } from '../fixtures/wallet.js'

// Real IndexedDB and WebCrypto (Chromium), real SIWE signatures (viem keys).
let counter = 0
const dbName = (): string => `kiln-sessions-test-${Date.now()}-${counter++}`
const device = async () => await createDidKeySigner(new Uint8Array(32).fill(5))

describe('wallet sessions kept in the worker', () => {
  it('a valid CACAO for a prepared key becomes the active session, persisted and removable', async () => {
    const name = dbName()
    const keeper = await createSessionKeeper(await device(), name)
    expect(keeper.author()?.controller).toMatch(/^did:key:/)
    const sessionDid = await keeper.prepare()
    const info = await keeper.complete(await siweCacao({ session: sessionDid }))
    expect(info).toMatchObject({ account: didPkh('alice'), sessionDid, resources: ['ceramic://*'], active: true })
    expect(keeper.author()?.controller).toBe(didPkh('alice'))
    expect(keeper.signerFor(didPkh('alice'))?.id).toBe(sessionDid)
    // Another worker (a restart) finds the session and its key in IndexedDB.
    const again = await createSessionKeeper(await device(), name)
    expect(again.list()).toEqual([info])
    const signature = await again.author()!.sign(new Uint8Array([1, 2, 3]))
    expect(signature).toHaveLength(64)
    await again.signOut(didPkh('alice'))
    expect((await createSessionKeeper(await device(), name)).list()).toEqual([])
  })

  it('refuses, each with its typed error, and keeps nothing', async () => {
    const keeper = await createSessionKeeper(await device(), dbName())
    const sessionDid = await keeper.prepare()
    const other = await keeper.prepare()
    const cases: Array<[string, Promise<unknown>, string]> = [
      ['signed by another account', siweCacao({ session: sessionDid, signedBy: 'bob' }), 'ERR_INVALID_CAPABILITY'],
      ['SIWE text tampered after signing', siweCacao({ session: sessionDid, tamper: { statement: 'Give everything away' } }), 'ERR_INVALID_CAPABILITY'],
      ['chain id changed after signing', siweCacao({ session: sessionDid, tamper: { iss: didPkh('alice', 5) } }), 'ERR_INVALID_CAPABILITY'],
      ['expired', siweCacao({ session: sessionDid, issuedAt: new Date(Date.now() - 9 * DAY), expirationTime: new Date(Date.now() - 2 * DAY) }), 'ERR_CAPABILITY_EXPIRED'],
      ['not valid yet', siweCacao({ session: sessionDid, notBefore: new Date(Date.now() + 2 * HOUR) }), 'ERR_CAPABILITY_EXPIRED'],
      ['granting nothing of Ceramic\'s', siweCacao({ session: sessionDid, resources: ['https://example.com/'] }), 'ERR_CAPABILITY_SCOPE'],
      ['for a key this node never made', siweCacao({ session: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' }), 'ERR_INVALID_CAPABILITY']
    ]
    for (const [what, cacao, code] of cases) {
      await expect(keeper.complete(await cacao as never), what).rejects.toMatchObject({ code })
    }
    expect(keeper.list()).toEqual([])
    expect(keeper.author()?.controller).toMatch(/^did:key:/)
    // A CACAO for one prepared key cannot complete another.
    const forOther = await siweCacao({ session: other })
    expect((await keeper.complete(forOther)).sessionDid).toBe(other)
  })
})
