import type { Cacao } from '@didtools/cacao'
import type { JwsSigner } from '../commits/jws.js'
import { type Block, encodeCborBlock } from '../commits/block.js'
import { CapabilityExpiredError, InvalidCapabilityError } from '../errors.js'
import { didKeyFromPublicKey, kidFor } from './did-key.js'
import { importSeed, publicKeyFromSeed, signWith } from './ed25519.js'

/**
 * Who signs commits: an Ed25519 did:key, acting for itself or, with a CACAO, for the account
 * (did:pkh) that delegated to it. Streams are controlled by `controller` and signed by `id`.
 */
export interface Signer extends JwsSigner {
  /** The signing key's DID (did:key). */
  readonly id: string
  /** Whose streams this signer writes: the CACAO issuer, or the key itself. */
  readonly controller: string
}

/** A did:key signer from a 32-byte Ed25519 seed (servers, scripts, the CLI, tests). */
export async function createDidKeySigner (seed: Uint8Array): Promise<Signer> {
  const key = await importSeed(seed)
  return createKeySigner(key, publicKeyFromSeed(seed))
}

/** A signer over a WebCrypto key (which may be non-extractable) and its raw public key. */
export function createKeySigner (privateKey: CryptoKey, publicKey: Uint8Array): Signer {
  const id = didKeyFromPublicKey(publicKey)
  return { id, controller: id, kid: kidFor(id), sign: async (data) => await signWith(privateKey, data) }
}

/** The same key, now signing for the CACAO's issuer (a session key delegated by a wallet). */
export async function withCapability (signer: Signer, capability: Cacao): Promise<Signer> {
  if (capability.p.aud !== signer.id) {
    throw new InvalidCapabilityError(`The capability is for ${capability.p.aud}, not for this key ${signer.id}`)
  }
  const capabilityBlock: Block = await encodeCborBlock(capability)
  const sign = async (data: Uint8Array): Promise<Uint8Array> => {
    // A commit signed under an expired capability would be refused by every verifier.
    if (capability.p.exp != null && Date.parse(capability.p.exp) < Date.now()) {
      throw new CapabilityExpiredError(`The session expired at ${capability.p.exp}; sign in again`, { exp: capability.p.exp })
    }
    return await signer.sign(data)
  }
  return { ...signer, controller: capability.p.iss, capability, capabilityBlock, sign }
}
