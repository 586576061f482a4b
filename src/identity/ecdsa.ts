import { p256 } from '@noble/curves/nist.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'

/** The ECDSA curves a did:key may name: secp256k1 (JWS alg ES256K) and P-256 (ES256, did-session's browser key). */
export type EcdsaCurve = 'secp256k1' | 'p256'

const CURVES = { secp256k1, p256 }

/**
 * Checks a JWS ECDSA signature (64 bytes, r || s, over sha256 of the signing input) as Ceramic's
 * verifier does: did-jwt normalises S before verifying, so a high-S signature is accepted too.
 * Anything else (another length, a point off the curve, a bad key) is simply not valid.
 */
export function verifyEcdsa (curve: EcdsaCurve, publicKey: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false
  try {
    return CURVES[curve].verify(signature, data, publicKey, { lowS: false })
  } catch {
    return false
  }
}
