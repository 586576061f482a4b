/**
 * W3C verifiable credentials in their JWT form (VC Data Model 1.1, "JSON Web Token" encoding: the
 * form did-jwt-vc and most DID-based issuers write): a compact JWS whose payload carries `iss`
 * (the issuer's DID), `sub` (the subject's), `nbf` (issuance), `exp` (expiry) and `vc` (types and
 * `credentialSubject`, the claims). Kiln checks issuers that are a did:key (Ed25519, secp256k1,
 * P-256), whose key is in the DID itself: no resolver, no network.
 */
import { base64url } from 'multiformats/bases/base64'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { keyFromDidKey, type DidKeyPublicKey } from './did-key.js'
import { verifyEcdsa } from './ecdsa.js'
import { verifyEd25519 } from './ed25519.js'

/** Why a credential is not valid. */
export type CredentialProblem = 'malformed' | 'unsupported-issuer' | 'bad-signature' | 'wrong-issuer' | 'mismatch' | 'expired' | 'not-yet-valid'

/** What a valid credential says. Times are ms since the epoch. */
export interface VerifiedCredential {
  issuer: string
  subject: string
  /** `vc.type`, e.g. ['VerifiableCredential', 'EmailCredential']. */
  types: string[]
  /** `vc.credentialSubject` without its `id` (the subject). */
  claims: Record<string, unknown>
  issued: number
  expires?: number
  /** The credential's own id (`jti`), if it has one. */
  id?: string
  jwt: string
}

export type CredentialCheck =
  | { valid: true, credential: VerifiedCredential }
  | { valid: false, reason: CredentialProblem, message: string }

/** A Credential document's content (the kit's KilnCredential Model). */
export interface CredentialContent {
  jwt: string
  issuer: string
  subject: string
  types: string[]
  issued: number
  expires?: number
}

export interface VerifyCredentialOptions {
  /** When the credential is judged (default: now). */
  at?: Date
  /** The issuer the reader trusts: a credential from anyone else is 'wrong-issuer'. */
  issuer?: string
}

/** Clocks differ: a credential is judged with five minutes' grace each way, as JWT libraries do. */
const CLOCK_SKEW_MS = 5 * 60 * 1000

/** JWS `alg` names each did:key type signs with (did-jwt writes 'Ed25519' or 'EdDSA'). */
const ALGS: Record<DidKeyPublicKey['type'], string[]> = { ed25519: ['EdDSA', 'Ed25519'], secp256k1: ['ES256K'], p256: ['ES256'] }

/**
 * Checks a credential: its JWT, or a Credential document's content (whose fields must then say
 * what its JWT says, so a query by subject or issuer cannot be misled).
 */
export async function verifyCredential (credential: string | CredentialContent, options: VerifyCredentialOptions = {}): Promise<CredentialCheck> {
  const jwt = typeof credential === 'string' ? credential : credential?.jwt
  const parsed = parseJwt(jwt)
  if (typeof parsed === 'string') return invalid('malformed', parsed)
  const { header, payload, signingInput, signature } = parsed
  const signer = typeof header.kid === 'string' ? header.kid.split('#')[0] : payload.iss
  if (signer !== payload.iss) return invalid('wrong-issuer', `Signed by ${String(signer)}, but issued in the name of ${payload.iss}`)
  let key: DidKeyPublicKey
  try {
    key = keyFromDidKey(payload.iss)
  } catch {
    return invalid('unsupported-issuer', `Kiln checks credentials issued by a did:key, not ${payload.iss}`)
  }
  if (!ALGS[key.type].includes(String(header.alg))) return invalid('bad-signature', `A ${key.type} key does not sign with ${String(header.alg)}`)
  const valid = key.type === 'ed25519'
    ? await verifyEd25519(key.publicKey, signingInput, signature)
    : verifyEcdsa(key.type, key.publicKey, signingInput, signature)
  if (!valid) return invalid('bad-signature', `The signature is not ${payload.iss}'s`)
  if (options.issuer != null && options.issuer !== payload.iss) return invalid('wrong-issuer', `Issued by ${payload.iss}, not ${options.issuer}`)

  const { id: _subject, ...claims } = payload.vc.credentialSubject as Record<string, unknown>
  const verified: VerifiedCredential = { issuer: payload.iss, subject: payload.sub, types: payload.vc.type, claims, issued: payload.nbf * 1000, jwt }
  if (payload.exp != null) verified.expires = payload.exp * 1000
  if (typeof payload.jti === 'string') verified.id = payload.jti
  if (typeof credential !== 'string') {
    const differs = (['issuer', 'subject', 'issued', 'expires'] as const).find((field) => credential[field] !== verified[field])
    if (differs != null) return invalid('mismatch', `The document's ${differs} is not the credential's`)
    if (JSON.stringify(credential.types) !== JSON.stringify(verified.types)) return invalid('mismatch', 'The document\'s types are not the credential\'s')
  }
  const at = (options.at ?? new Date()).getTime()
  if (verified.issued > at + CLOCK_SKEW_MS) return invalid('not-yet-valid', `Valid from ${new Date(verified.issued).toISOString()}`)
  if (verified.expires != null && verified.expires < at - CLOCK_SKEW_MS) return invalid('expired', `Expired at ${new Date(verified.expires).toISOString()}`)
  return { valid: true, credential: verified }
}

interface VcPayload {
  iss: string
  sub: string
  nbf: number
  exp?: number
  jti?: unknown
  vc: { type: string[], credentialSubject: unknown }
}

interface ParsedJwt {
  header: { alg?: unknown, kid?: unknown }
  payload: VcPayload
  signingInput: Uint8Array
  signature: Uint8Array
}

/** The parts of a VC-JWT, or what is wrong with it. */
function parseJwt (jwt: unknown): ParsedJwt | string {
  if (typeof jwt !== 'string') return 'A credential is a JWT string'
  const parts = jwt.split('.')
  if (parts.length !== 3) return 'A JWT has three parts'
  let header: ParsedJwt['header']
  let payload: VcPayload
  let signature: Uint8Array
  try {
    header = JSON.parse(bytesToString(base64url.baseDecode(parts[0])))
    payload = JSON.parse(bytesToString(base64url.baseDecode(parts[1])))
    signature = base64url.baseDecode(parts[2])
  } catch {
    return 'The JWT is not base64url JSON'
  }
  if (header == null || typeof header !== 'object') return 'The JWT header is not an object'
  if (payload == null || typeof payload !== 'object') return 'The JWT payload is not an object'
  if (typeof payload.iss !== 'string' || typeof payload.sub !== 'string') return 'A credential names its issuer (iss) and subject (sub)'
  if (!Number.isSafeInteger(payload.nbf) || (payload.exp != null && !Number.isSafeInteger(payload.exp))) return 'nbf and exp are times in seconds'
  const vc = payload.vc
  if (vc == null || typeof vc !== 'object' || !Array.isArray(vc.type) || !vc.type.includes('VerifiableCredential') || !vc.type.every((t) => typeof t === 'string')) {
    return 'The payload has no `vc` of type VerifiableCredential'
  }
  if (vc.credentialSubject == null || typeof vc.credentialSubject !== 'object' || Array.isArray(vc.credentialSubject)) return 'The credential has no credentialSubject'
  return { header, payload, signingInput: bytesFromString(`${parts[0]}.${parts[1]}`, 'utf8'), signature }
}

function invalid (reason: CredentialProblem, message: string): CredentialCheck {
  return { valid: false, reason, message }
}
