import { describe, expect, it } from 'vitest'
import { base58btc } from 'multiformats/bases/base58'
import { ed25519 } from '@noble/curves/ed25519.js'
import { DIDSession } from 'did-session'
import { SolanaNodeAuth, getAccountIdByNetwork } from '@didtools/pkh-solana'
import { TileDocument } from '@ceramicnetwork/stream-tile'
import type { Cacao } from '@didtools/cacao'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { withCapability } from '../../src/identity/signer.js'
import { CeramicWorld } from '../fixtures/ceramic-replay.js'
import { kilnSigner } from '../fixtures/identities.js'
import { StreamType, buildGenesis, encodeCar, tileGenesis } from '../../src/index.js'

/*
 * did:pkh sessions from a Solana wallet, made by Ceramic's own libraries: @didtools/pkh-solana's
 * auth method (a SIWS message the wallet signs with its Ed25519 key) through did-session.
 * The wallet here is a fixed Ed25519 key answering `signMessage` as a Solana wallet adapter does.
 */
const WALLET_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 7 * i + 3)
const address = base58btc.baseEncode(ed25519.getPublicKey(WALLET_SECRET))
const account = getAccountIdByNetwork('mainnet', address)
const wallet = { signMessage: async (message: Uint8Array) => ({ signature: ed25519.sign(message, WALLET_SECRET) }) }

async function solanaCacao (uri: string, tamper = false): Promise<Cacao> {
  const authMethod = await SolanaNodeAuth.getAuthMethod(wallet, account, 'kiln.test')
  const cacao = await authMethod({ uri, resources: ['ceramic://*'] } as never)
  // Changing the signed text after signing: the wallet's signature no longer covers it.
  if (tamper) cacao.p.statement = 'Give this application access to all of your data'
  return cacao
}

describe('did:pkh sessions from a Solana wallet', () => {
  it('a TileDocument written through did-session with a Solana wallet imports into Kiln', async () => {
    const session = await DIDSession.authorize(await SolanaNodeAuth.getAuthMethod(wallet, account, 'kiln.test'), { resources: ['ceramic://*'] })
    const world = new CeramicWorld()
    const doc = await TileDocument.create<Record<string, unknown>>(world as never, { from: 'solana' }, undefined, { asDID: session.did })
    await doc.update({ from: 'solana', again: true }, undefined, { asDID: session.did })
    expect(doc.metadata.controllers).toEqual([`did:pkh:${account.toString()}`])
    const node = createStreamNode({ store: createMemoryStore() })
    const imported = await node.importCar(await world.car(doc.id.toString()))
    expect(imported.content).toEqual(doc.content)
    expect(imported.metadata.controllers).toEqual(doc.metadata.controllers)
  })

  it('Kiln writes with a Solana session that Ceramic\'s handler accepts; a tampered CACAO both refuse', async () => {
    const key = await kilnSigner('solana-session')
    const node = createStreamNode({ store: createMemoryStore(), signer: await withCapability(key, await solanaCacao(key.id)) })
    const note = await node.create({ content: { v: 1 } })
    const updated = await node.update(note.id, { content: { v: 2 } })
    const world = new CeramicWorld()
    await world.addCar(await node.exportCar(note.id), note.id)
    expect((await world.view(note.id)).content).toEqual(updated.content)

    const forgedSigner = await withCapability(key, await solanaCacao(key.id, true))
    const forger = createStreamNode({ store: createMemoryStore(), signer: forgedSigner })
    await expect(forger.create({ content: { v: 'forged' } })).rejects.toMatchObject({ code: 'ERR_INVALID_CAPABILITY' })
    // The same commit built without Kiln's check, for Ceramic's handler to judge.
    const forged = await buildGenesis(StreamType.TILE, tileGenesis({ controller: forgedSigner.controller, content: { v: 'forged' } }), forgedSigner)
    await world.addCar(await encodeCar(forged.cid, forged.blocks))
    await expect(world.replay(forged.streamId.toString(), forged.cid)).rejects.toThrow(/Can not verify signature/)
  })
})
