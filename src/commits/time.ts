import type { CID } from 'multiformats/cid'

/** A time (anchor) commit `{id, prev, proof, path}`: `path` walks the merkle tree from `proof.root` to `prev`. */
export interface TimePayload {
  id: CID
  prev: CID
  proof: CID
  path: string
}

/** The anchor proof block `{chainId, txHash, root, txType?}` (CIP-69). */
export interface AnchorProof {
  chainId: string
  txHash: CID
  root: CID
  txType?: string
}

export function timeCommit (init: TimePayload): TimePayload {
  return { id: init.id, prev: init.prev, proof: init.proof, path: init.path }
}
