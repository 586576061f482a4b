import type { StreamID } from '../ids/index.js'
import type { RawCommit, CommitSignature } from '../commits/decode.js'
import type { AnchorProof } from '../commits/time.js'
import { AnchorUnavailableError, InvalidAnchorError, InvalidSignatureError, WrongControllerError, hasCode } from '../errors.js'
import { expirationTime, verifyCapability } from './capability.js'
import { keyFromDidKey } from './did-key.js'
import { verifyEcdsa } from './ecdsa.js'
import { verifyEd25519 } from './ed25519.js'

declare const verified: unique symbol

/** A commit whose signature, signer and capability have been checked. Only `verifyCommit` makes one. */
export type VerifiedCommit = RawCommit & {
  readonly [verified]: true
  /** The DID whose key signed (for a session key, the did:key; its controller is the CACAO issuer). */
  readonly signer?: string
  readonly expirationTime?: number
  /** Anchor time in unix seconds, for time commits. */
  readonly timestamp?: number
}

/** Checks an anchor proof against its chain and returns the block time (unix seconds). */
export type AnchorValidator = (proof: AnchorProof) => Promise<number>

export interface VerifyContext {
  streamId: StreamID
  /** The controller the commit must be signed by (for a genesis: its own header's). */
  controller: string
  /** The stream's model (a MID's model, or Model.MODEL), for model-scoped capabilities. */
  model?: StreamID
  /** When the commit is judged: its anchor time if known, else now. */
  atTime?: Date
  anchorValidator?: AnchorValidator
}

/** The one verification path for local and remote commits alike (design §2). */
export async function verifyCommit (commit: RawCommit, context: VerifyContext): Promise<VerifiedCommit> {
  if (commit.kind === 'time') {
    if (context.anchorValidator == null) {
      throw new InvalidAnchorError('No anchor validator is configured, so this time commit cannot be checked', { cid: commit.cid.toString() })
    }
    let timestamp: number
    try {
      timestamp = await context.anchorValidator(commit.proof)
    } catch (err) {
      // A chain that cannot be asked now says nothing about the proof: the commit is checked again later.
      if (hasCode(err, AnchorUnavailableError) || hasCode(err, InvalidAnchorError)) throw err
      throw new InvalidAnchorError(`Anchor proof does not verify: ${(err as Error).message}`, { cid: commit.cid.toString() }, { cause: err })
    }
    return { ...commit, timestamp } as VerifiedCommit
  }
  if (commit.signature == null) {
    if (commit.kind === 'data') throw new InvalidSignatureError('Data commits must be signed', { cid: commit.cid.toString() })
    if (commit.payload.data != null) throw new InvalidSignatureError('Genesis commit with contents should always be signed', { cid: commit.cid.toString() })
    return { ...commit } as VerifiedCommit
  }
  const signer = await verifySignature(commit.signature)
  const atTime = context.atTime ?? new Date()
  const capability = commit.signature.capability
  if (capability != null) {
    await verifyCapability(capability, { signer, controller: context.controller, streamId: context.streamId, model: context.model, payload: commit.signature.envelope.payloadCid, atTime })
  } else if (signer !== context.controller) {
    throw new WrongControllerError(`Commit signed by ${signer}, but the stream is controlled by ${context.controller}`, { signer, controller: context.controller })
  }
  return { ...commit, signer, expirationTime: capability == null ? undefined : expirationTime(capability) } as VerifiedCommit
}

// One check per decoded signature, so a log's signatures can all be started at once (WebCrypto
// runs them off the main thread) and the sequential fold then finds them done.
const signatureChecks = new WeakMap<CommitSignature, Promise<string>>()

/** Starts checking the signatures of many commits concurrently; `verifyCommit` reuses the results. */
export function prefetchSignatures (commits: RawCommit[]): void {
  for (const commit of commits) {
    if (commit.kind !== 'time' && commit.signature != null) verifySignature(commit.signature).catch(() => {})
  }
}

async function verifySignature (signature: CommitSignature): Promise<string> {
  let check = signatureChecks.get(signature)
  if (check == null) {
    check = checkSignature(signature)
    signatureChecks.set(signature, check)
  }
  return await check
}

async function checkSignature ({ envelope }: CommitSignature): Promise<string> {
  const did = envelope.header.kid.split('#')[0]
  const key = keyFromDidKey(did)
  if (envelope.header.alg !== key.alg) {
    throw new InvalidSignatureError(`A ${key.type} did:key signs with ${key.alg}, not ${String(envelope.header.alg)}`, { signer: did, alg: envelope.header.alg })
  }
  const valid = key.type === 'ed25519'
    ? await verifyEd25519(key.publicKey, envelope.signingInput, envelope.signature)
    : verifyEcdsa(key.type, key.publicKey, envelope.signingInput, envelope.signature)
  if (!valid) throw new InvalidSignatureError(`Signature by ${did} does not verify`, { signer: did })
  return did
}
