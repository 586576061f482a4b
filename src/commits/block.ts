import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { MalformedCommitError } from '../errors.js'

/** An IPLD block: its CID and the exact bytes the CID hashes. */
export interface Block {
  cid: CID
  bytes: Uint8Array
}

/** Where commit blocks come from: a store, a CAR file, the network. */
export type BlockSource = (cid: CID) => Promise<Uint8Array | undefined>

export const DAG_CBOR_CODE = 0x71
export const DAG_JOSE_CODE = 0x85

/** Encodes a value as a dag-cbor block with a sha2-256 CID (what Ceramic uses for every commit). */
export async function encodeCborBlock (value: unknown): Promise<Block> {
  const bytes = dagCbor.encode(value)
  return { cid: CID.create(1, DAG_CBOR_CODE, await sha256.digest(bytes)), bytes }
}

/** Makes a CID for bytes of the given codec, hashed with sha2-256. */
export async function cidFor (code: number, bytes: Uint8Array): Promise<CID> {
  return CID.create(1, code, await sha256.digest(bytes))
}

/** Checks that bytes hash to the CID they were fetched by; a peer or a disk must not lie. */
export async function assertBlockMatches (cid: CID, bytes: Uint8Array): Promise<void> {
  if (cid.multihash.code !== sha256.code) {
    throw new MalformedCommitError(`Unsupported hash function 0x${cid.multihash.code.toString(16)} in ${cid.toString()}`, { cid: cid.toString() })
  }
  const digest = await sha256.digest(bytes)
  if (!equalBytes(digest.digest, cid.multihash.digest)) {
    // `mismatch`: the bytes are wrong, not the commit the CID names (whoever sent them lied).
    throw new MalformedCommitError(`Block bytes do not match CID ${cid.toString()}`, { cid: cid.toString(), mismatch: true })
  }
}

export function decodeCbor<T = unknown> (bytes: Uint8Array, what: string): T {
  try {
    return dagCbor.decode<T>(bytes)
  } catch (err) {
    throw new MalformedCommitError(`${what} is not valid dag-cbor`, undefined, { cause: err })
  }
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Accepts CIDs from any multiformats major (dids ships 13, we use 14). */
export function asCid (value: unknown): CID | undefined {
  return CID.asCID(value as CID) ?? undefined
}
