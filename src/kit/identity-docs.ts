/**
 * The kit's identity documents with their signature checks (secp256k1 recovery, Ed25519, P-256):
 * one chunk of their own, which a page loads on its first call of one of them (kit/index.ts).
 */
export { linkMessage, normalAccount } from '../identity/link-message.js'
export { linkAccount, unlinkAccount, linkedAccounts, identityOf, linkedAccountId } from './links.js'
export { storeCredential, credentialsOf } from './held-credentials.js'
export { verifyCredential } from '../identity/vc-jwt.js'
