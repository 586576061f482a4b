import { Cacao } from '@didtools/cacao'
import { getEIP191Verifier } from '@didtools/pkh-ethereum'
import { getSolanaVerifier } from '@didtools/pkh-solana'
import type { CID } from 'multiformats/cid'
import type { StreamID } from '../ids/index.js'
import { sameController } from './identity.js'
import { CapabilityExpiredError, CapabilityScopeError, InvalidCapabilityError, WrongControllerError } from '../errors.js'

/** Ceramic's allowances: clocks may differ by 5 minutes; a CACAO stays usable 24 h past `exp`. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000
export const REVOCATION_PHASE_OUT_MS = 24 * 60 * 60 * 1000

export interface CapabilityCheck {
  /** The DID that signed the commit (must be the CACAO's audience). */
  signer: string
  /** The stream's controller (must be the CACAO's issuer). */
  controller: string
  streamId: StreamID
  /** The model of a MID (or Model.MODEL for a Model), for `ceramic://*?model=` grants. */
  model?: StreamID
  /** The signed payload's CID, for `ceramic://<stream>?payload=<cid>` grants of one commit. */
  payload: CID
  atTime: Date
}

// The wallets whose sessions Kiln accepts: Ethereum (SIWE, EIP-191) and Solana (SIWS, Ed25519).
const verifiers = { ...getEIP191Verifier(), ...getSolanaVerifier() }

/** Checks that a CACAO lets `signer` write this stream for `controller` at `atTime`, as Ceramic does. */
export async function verifyCapability (cacao: Cacao, check: CapabilityCheck): Promise<void> {
  assertShape(cacao)
  if (!sameController(cacao.p.iss, check.controller)) {
    throw new WrongControllerError(`Capability issued by ${cacao.p.iss}, but the stream is controlled by ${check.controller}`, { issuer: cacao.p.iss, controller: check.controller })
  }
  assertAudience(cacao, check.signer)
  assertInTime(cacao, check.atTime)
  assertCovers(cacao.p.resources ?? [], check)
  await assertWalletSignature(cacao, check.atTime)
}

/**
 * Checks a new session's CACAO before a node keeps it: signed by the account it names, for this
 * session key, valid now, and granting Ceramic resources. Which streams it covers is checked on
 * every write, by the same verification remote commits get.
 */
export async function verifySessionCapability (cacao: Cacao, sessionDid: string, atTime = new Date()): Promise<void> {
  assertShape(cacao)
  assertAudience(cacao, sessionDid)
  assertInTime(cacao, atTime)
  const resources = cacao.p.resources ?? []
  if (resources.length === 0 || !resources.every((r) => r.startsWith('ceramic://'))) {
    throw new CapabilityScopeError('A session must grant Ceramic resources (ceramic://*, ceramic://<stream>, ceramic://*?model=<model>)', { resources })
  }
  await assertWalletSignature(cacao, atTime)
}

function assertAudience (cacao: Cacao, signer: string): void {
  if (cacao.p.aud !== signer) {
    throw new InvalidCapabilityError(`Capability is for ${cacao.p.aud}, but the commit is signed by ${signer}`, { audience: cacao.p.aud, signer })
  }
}

async function assertWalletSignature (cacao: Cacao, atTime: Date): Promise<void> {
  try {
    // Time checks are ours (for typed errors); here only the wallet's signature is checked.
    await Cacao.verify(cacao, { verifiers, atTime, disableExpirationCheck: true })
  } catch (err) {
    throw new InvalidCapabilityError(`Capability signature is not valid: ${(err as Error).message}`, { issuer: cacao.p.iss }, { cause: err })
  }
}

/** `exp` in unix seconds, as Ceramic records it in a log entry's `expirationTime`. */
export function expirationTime (cacao: Cacao): number | undefined {
  return cacao.p.exp == null ? undefined : Math.floor(Date.parse(cacao.p.exp) / 1000)
}

function assertShape (cacao: Cacao): void {
  const p = cacao?.p
  if (p == null || typeof p.iss !== 'string' || typeof p.aud !== 'string' || typeof p.iat !== 'string' || cacao.s == null) {
    throw new InvalidCapabilityError('Capability is not a signed CACAO')
  }
  if (!p.iss.startsWith('did:pkh:')) throw new InvalidCapabilityError(`Capability issuer ${p.iss} is not a did:pkh`)
}

function assertInTime (cacao: Cacao, atTime: Date): void {
  const at = atTime.getTime()
  const notBefore = Math.max(Date.parse(cacao.p.iat), cacao.p.nbf == null ? -Infinity : Date.parse(cacao.p.nbf))
  if (Number.isNaN(notBefore) || notBefore > at + CLOCK_SKEW_MS) {
    throw new CapabilityExpiredError(`Capability is not valid yet (from ${cacao.p.nbf ?? cacao.p.iat})`, { iat: cacao.p.iat, nbf: cacao.p.nbf })
  }
  if (cacao.p.exp != null && Date.parse(cacao.p.exp) + REVOCATION_PHASE_OUT_MS + CLOCK_SKEW_MS < at) {
    throw new CapabilityExpiredError(`Capability expired at ${cacao.p.exp}`, { exp: cacao.p.exp })
  }
}

/** Ceramic's grants: `ceramic://*`, `ceramic://<stream>`, and `ceramic://*?model=<model>` for Models and MIDs. */
function assertCovers (resources: string[], { streamId, model, payload }: CapabilityCheck): void {
  const stream = streamId.toString()
  const covered = resources.some((resource) => {
    if (resource === 'ceramic://*') return true
    if (resource === `ceramic://${stream}` || resource === `ceramic://${stream}?payload=${payload.toString()}`) return true
    return model != null && resource === `ceramic://*?model=${model.toString()}`
  })
  if (!covered) {
    throw new CapabilityScopeError(`Capability does not have appropriate permissions to update stream ${stream}`, { stream, resources })
  }
}
