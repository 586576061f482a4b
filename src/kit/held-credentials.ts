/**
 * Credentials kept as documents (the kit's KilnCredential Model): anyone may keep one (usually its
 * subject, on their own stream, or its issuer); what it is worth is only its issuer's signature,
 * checked on every read. The document repeats the JWT's issuer, subject, types and times so
 * queries find it by them, and a document whose fields say otherwise than its JWT is invalid.
 */
import type { NodeCalls } from '../api/calls.js'
import type { StreamSnapshot } from '../api/types.js'
import { InvalidInputError, InvalidSignatureError } from '../errors.js'
import { verifyCredential, type CredentialContent, type CredentialProblem, type VerifiedCredential, type VerifyCredentialOptions } from '../identity/vc-jwt.js'
import { KIT } from './ids.js'

/** The content of a Credential document for a checked credential. */
export function credentialContent (credential: VerifiedCredential): CredentialContent {
  const content: CredentialContent = { jwt: credential.jwt, issuer: credential.issuer, subject: credential.subject, types: credential.types, issued: credential.issued }
  if (credential.expires != null) content.expires = credential.expires
  return content
}

/** A Credential document as a reader sees it. */
export interface HeldCredential {
  /** The document's StreamID. */
  id: string
  /** Who keeps it (the document's controller). */
  keeper: string
  valid: boolean
  /** What it says, when valid. */
  credential?: VerifiedCredential
  reason?: CredentialProblem
  message?: string
}

/**
 * Keeps a credential (its JWT) as a document, after checking it: an invalid, expired or forged one
 * is refused (ERR_INVALID_SIGNATURE for a signature that does not hold, ERR_INVALID_INPUT otherwise)
 * and nothing is written.
 */
export async function storeCredential (kiln: Pick<NodeCalls, 'create'>, jwt: string, options: VerifyCredentialOptions = {}): Promise<StreamSnapshot> {
  const check = await verifyCredential(jwt, options)
  if (!check.valid) {
    const ErrorClass = check.reason === 'bad-signature' ? InvalidSignatureError : InvalidInputError
    throw new ErrorClass(`Not a valid credential (${check.reason}): ${check.message}`, { reason: check.reason })
  }
  return await kiln.create({ type: 'MID', model: KIT.credential, content: credentialContent(check.credential) })
}

/**
 * The credentials about `subject` this node holds whose proofs hold now (newest first). With
 * `includeInvalid`, the others too, each with its reason (expired, bad-signature, ...).
 */
export async function credentialsOf (kiln: Pick<NodeCalls, 'query'>, subject: string, options: VerifyCredentialOptions & { includeInvalid?: boolean } = {}): Promise<HeldCredential[]> {
  const page = await kiln.query({ model: KIT.credential, where: { subject }, sort: { issued: 'desc' } }, { limit: 1000 })
  const held = await Promise.all(page.items.map(async (doc): Promise<HeldCredential> => {
    const check = await verifyCredential(doc.content as CredentialContent, options)
    const base = { id: doc.id, keeper: doc.metadata.controllers[0] }
    return check.valid ? { ...base, valid: true, credential: check.credential } : { ...base, valid: false, reason: check.reason, message: check.message }
  }))
  return held.filter((c) => c.valid || options.includeInvalid === true)
}
