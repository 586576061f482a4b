import type { Signer } from './signer.js'

/**
 * Who a node writes as. A stream must be signed for its controller, so the node asks for the signer
 * of that controller on every write; new streams are created by the `author`.
 */
export interface Identity {
  /** Who creates new streams: the signed-in account, else this device or server key. */
  author: () => Signer | undefined
  /** The signer able to write for `controller`, if this node holds one (expired sessions included). */
  signerFor: (controller: string) => Signer | undefined
}

/** An identity of one signer (servers, scripts, the CLI, tests). */
export function singleSignerIdentity (signer: Signer | undefined): Identity {
  return {
    author: () => signer,
    signerFor: (controller) => signer != null && sameController(signer.controller, controller) ? signer : undefined
  }
}

/** did:pkh:eip155 accounts compare case-insensitively (addresses may be checksummed or not). */
export function sameController (a: string, b: string): boolean {
  if (a.startsWith('did:pkh:eip155:') && b.startsWith('did:pkh:eip155:')) return a.toLowerCase() === b.toLowerCase()
  return a === b
}
