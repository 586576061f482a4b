import * as dagCbor from '@ipld/dag-cbor'
import * as dagJose from 'dag-jose'
import { CID } from 'multiformats/cid'
import { base64url } from 'multiformats/bases/base64'
import { toString as bytesToString, fromString as bytesFromString } from 'uint8arrays'
import type { Cacao } from '@didtools/cacao'
import { MalformedCommitError } from '../errors.js'
import { type Block, DAG_JOSE_CODE, cidFor, encodeCborBlock } from './block.js'

/** A DAG-JWS in general JSON form; `link` is the CID of the signed payload block. */
export interface DagJws {
  payload: string
  signatures: Array<{ protected: string, signature: string }>
  link?: CID
}

/** The protected header Kiln writes and reads: what key signed, and under which capability. */
export interface JwsHeader {
  alg: string
  kid: string
  /** `ipfs://<CACAO CID>` when a session key signs for its controller. */
  cap?: string
}

/** What signs a JWS: a key (its `kid` is `<did>#<fragment>`) and the CACAO that delegates to it, if any. */
export interface JwsSigner {
  readonly kid: string
  readonly capability?: Cacao
  readonly capabilityBlock?: Block
  sign: (data: Uint8Array) => Promise<Uint8Array>
}

/** A signed commit: the dag-jose envelope, the dag-cbor payload it links, and the CACAO block if any. */
export interface SignedCommit {
  envelope: Block
  payload: Block
  capability?: Block
}

/**
 * Signs a commit payload as Ceramic's DID.createDagJWS does: the JWS payload is base64url of the
 * payload CID's bytes, and the protected header's keys are sorted (alg, cap, kid).
 */
export async function signCommit (value: unknown, signer: JwsSigner): Promise<SignedCommit> {
  const payload = await encodeCborBlock(value)
  const header: JwsHeader = { alg: 'EdDSA', kid: signer.kid }
  if (signer.capabilityBlock != null) header.cap = `ipfs://${signer.capabilityBlock.cid.toString()}`
  const headerBytes = bytesFromString(JSON.stringify(sortKeys(header)))
  const signature = await signer.sign(signingInput(base64url.baseEncode(headerBytes), base64url.baseEncode(payload.cid.bytes)))
  // dag-jose's form, from the bytes at hand: its encode would decode the base64url strings back first.
  const bytes = dagCbor.encode({ payload: payload.cid.bytes, signatures: [{ protected: headerBytes, signature }] })
  return { envelope: { cid: await cidFor(DAG_JOSE_CODE, bytes), bytes }, payload, capability: signer.capabilityBlock }
}

export async function encodeEnvelope (jws: DagJws): Promise<Block> {
  const bytes = dagJose.encode({ payload: jws.payload, signatures: jws.signatures } as unknown as dagJose.DagJWS)
  return { cid: await cidFor(DAG_JOSE_CODE, bytes), bytes }
}

/** A decoded envelope, ready to verify: the payload CID, the header, and the exact bytes that were signed. */
export interface DecodedEnvelope {
  jws: DagJws
  payloadCid: CID
  header: JwsHeader
  signingInput: Uint8Array
  signature: Uint8Array
}

/**
 * Reads a signed envelope straight from its dag-cbor form ({ payload: bytes, signatures: [{ protected:
 * bytes, signature: bytes }] }, what dag-jose encodes). dag-jose's own decode first tries the payload
 * as JSON, which for a Ceramic commit (a CID payload) always throws: a tenth of a catch-up's CPU.
 */
export function decodeEnvelope (bytes: Uint8Array): DecodedEnvelope {
  let decoded: unknown
  try {
    decoded = dagCbor.decode(bytes)
  } catch (err) {
    throw new MalformedCommitError('Envelope is not valid dag-jose', undefined, { cause: err })
  }
  const { payload, signatures } = (decoded ?? {}) as { payload?: unknown, signatures?: unknown }
  if (!(payload instanceof Uint8Array) || !Array.isArray(signatures)) throw new MalformedCommitError('Envelope is not valid dag-jose')
  if (signatures.length !== 1) throw new MalformedCommitError('A signed commit must carry exactly one signature')
  // Only the fields dag-jose writes: the signature covers the payload, not the envelope, so an extra
  // field (or an unprotected header) would make a new, valid-looking sibling of any signed commit.
  if (!hasOnlyKeys(decoded, ENVELOPE_KEYS) || !hasOnlyKeys(signatures[0], SIGNATURE_KEYS)) {
    throw new MalformedCommitError('A signed envelope holds only `payload` and one signature of `protected` and `signature`')
  }
  const { protected: protectedBytes, signature } = (signatures[0] ?? {}) as { protected?: unknown, signature?: unknown }
  if (!(signature instanceof Uint8Array)) throw new MalformedCommitError('Envelope is not valid dag-jose')
  if (protectedBytes == null) throw new MalformedCommitError('JWS has no protected header')
  if (!(protectedBytes instanceof Uint8Array)) throw new MalformedCommitError('Envelope is not valid dag-jose')
  const payloadCid = cidFromPayload(payload)
  const protectedHeader = base64url.baseEncode(protectedBytes)
  const payloadString = base64url.baseEncode(payload)
  return {
    jws: { payload: payloadString, signatures: [{ protected: protectedHeader, signature: base64url.baseEncode(signature) }], link: payloadCid },
    payloadCid,
    header: parseHeader(protectedBytes),
    signingInput: signingInput(protectedHeader, payloadString),
    signature
  }
}

const ENVELOPE_KEYS = new Set(['payload', 'signatures'])
const SIGNATURE_KEYS = new Set(['protected', 'signature'])

function hasOnlyKeys (value: unknown, keys: ReadonlySet<string>): boolean {
  return value != null && typeof value === 'object' && Object.keys(value).every((key) => keys.has(key))
}

/** The CACAO CID named by a `cap` header, or undefined when the key signs for itself. */
export function capabilityCid (header: JwsHeader): CID | undefined {
  if (header.cap == null) return undefined
  if (!header.cap.startsWith('ipfs://')) throw new MalformedCommitError(`Unsupported capability reference ${header.cap}`)
  try {
    return CID.parse(header.cap.slice('ipfs://'.length))
  } catch (err) {
    throw new MalformedCommitError(`Capability reference ${header.cap} is not a CID`, undefined, { cause: err })
  }
}

function parseHeader (section: Uint8Array): JwsHeader {
  let header: unknown
  try {
    header = JSON.parse(bytesToString(section))
  } catch (err) {
    throw new MalformedCommitError('JWS protected header is not base64url JSON', undefined, { cause: err })
  }
  const { alg, kid, cap } = header as Partial<JwsHeader>
  if (typeof alg !== 'string' || typeof kid !== 'string' || (cap != null && typeof cap !== 'string')) {
    throw new MalformedCommitError('JWS protected header needs string `alg` and `kid`')
  }
  return { alg, kid, cap }
}

function cidFromPayload (payload: Uint8Array): CID {
  try {
    return CID.decode(payload)
  } catch (err) {
    throw new MalformedCommitError('JWS payload is not a CID', undefined, { cause: err })
  }
}

function signingInput (protectedHeader: string, payload: string): Uint8Array {
  return bytesFromString(`${protectedHeader}.${payload}`)
}

function sortKeys<T extends object> (value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a < b ? -1 : 1)) as T
}
