import type { CID } from 'multiformats/cid'
import { StreamID } from '../ids/index.js'
import { type Block, encodeCborBlock } from './block.js'
import type { GenesisPlan } from './genesis.js'
import { type JwsSigner, signCommit } from './jws.js'

/** A commit ready to store or send: its CID and every block it consists of. */
export interface BuiltCommit {
  cid: CID
  blocks: Block[]
}

/** Signs a payload as DAG-JWS; the commit's CID is the envelope's (codec dag-jose). */
export async function buildSignedCommit (payload: unknown, signer: JwsSigner): Promise<BuiltCommit> {
  const signed = await signCommit(payload, signer)
  const blocks = [signed.envelope, signed.payload]
  if (signed.capability != null) blocks.push(signed.capability)
  return { cid: signed.envelope.cid, blocks }
}

/** Builds a genesis (signed unless deterministic) and the StreamID it defines. */
export async function buildGenesis (type: number, plan: GenesisPlan, signer?: JwsSigner): Promise<BuiltCommit & { streamId: StreamID }> {
  let commit: BuiltCommit
  if (plan.signed) {
    if (signer == null) throw new TypeError('This genesis must be signed: pass a signer')
    commit = await buildSignedCommit(plan.payload, signer)
  } else {
    const block = await encodeCborBlock(plan.payload)
    commit = { cid: block.cid, blocks: [block] }
  }
  return { ...commit, streamId: StreamID.fromGenesis(type, commit.cid) }
}
