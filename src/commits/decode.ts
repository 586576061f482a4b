import type { CID } from 'multiformats/cid'
import type { Cacao } from '@didtools/cacao'
import { BlockNotFoundError, MalformedCommitError, OversizeError } from '../errors.js'
import { type Block, type BlockSource, DAG_CBOR_CODE, DAG_JOSE_CODE, asCid, assertBlockMatches, decodeCbor } from './block.js'
import type { DataPayload } from './data.js'
import type { GenesisPayload } from './genesis.js'
import { type DecodedEnvelope, capabilityCid, decodeEnvelope } from './jws.js'
import type { AnchorProof, TimePayload } from './time.js'

/** Ceramic's IPFS_MAX_COMMIT_SIZE: no commit block may be larger. */
export const MAX_COMMIT_BLOCK_BYTES = 256_000

export interface CommitSignature {
  envelope: DecodedEnvelope
  capability?: Cacao
}

interface CommitBase {
  /** The commit's CID: the envelope's for a signed commit, the payload's otherwise. */
  cid: CID
  /** Every block the commit consists of, each checked against its CID. */
  blocks: Block[]
}
export interface RawGenesisCommit extends CommitBase { kind: 'genesis', payload: GenesisPayload, signature?: CommitSignature }
export interface RawDataCommit extends CommitBase { kind: 'data', payload: DataPayload, signature?: CommitSignature }
export interface RawTimeCommit extends CommitBase { kind: 'time', payload: TimePayload, proof: AnchorProof }
/** A commit decoded and shape-checked, but not verified yet. */
export type RawCommit = RawGenesisCommit | RawDataCommit | RawTimeCommit

/**
 * Commits loadCommit has read (blocks checked against their CIDs, shapes checked) and may hand out
 * again, for one job that reads the same commits twice: a catch-up reads them to find what to
 * fetch, then ingests them. Only loadCommit fills it, so nothing in it skipped those checks; a CID
 * names its bytes, so which source they came from does not matter.
 */
export class LoadedCommits {
  constructor () { commitsLoaded.set(this, new Map()) }
}
// Outside the class, so only this module (loadCommit) can read or add to a LoadedCommits.
const commitsLoaded = new WeakMap<LoadedCommits, Map<string, RawCommit>>()

/**
 * Reads one commit and the blocks it needs, checking sizes, hashes and shapes. Nothing is trusted
 * yet. With `loaded`, a commit read before is handed out again, and one read now is kept there.
 */
export async function loadCommit (cid: CID, source: BlockSource, loaded?: LoadedCommits): Promise<RawCommit> {
  const kept = loaded == null ? undefined : commitsLoaded.get(loaded)
  const known = kept?.get(cid.toString())
  if (known != null) return known
  const commit = await readCommit(cid, source)
  kept?.set(cid.toString(), commit)
  return commit
}

async function readCommit (cid: CID, source: BlockSource): Promise<RawCommit> {
  const first = await fetchBlock(cid, source)
  if (cid.code === DAG_JOSE_CODE) {
    const envelope = decodeEnvelope(first.bytes)
    const payloadBlock = await fetchBlock(envelope.payloadCid, source)
    const blocks = [first, payloadBlock]
    let capability: Cacao | undefined
    const capCid = capabilityCid(envelope.header)
    if (capCid != null) {
      const capBlock = await fetchBlock(capCid, source)
      blocks.push(capBlock)
      capability = decodeCbor<Cacao>(capBlock.bytes, 'Capability')
    }
    const payload = decodeCbor<Record<string, unknown>>(payloadBlock.bytes, 'Commit payload')
    const commit = classify(cid, payload, blocks) as RawGenesisCommit | RawDataCommit
    commit.signature = { envelope, capability }
    return commit
  }
  if (cid.code !== DAG_CBOR_CODE) throw new MalformedCommitError(`Unsupported commit codec 0x${cid.code.toString(16)}`)
  const value = decodeCbor<Record<string, unknown>>(first.bytes, 'Commit')
  if (value != null && typeof value === 'object' && 'proof' in value) return await loadTimeCommit(cid, value, first, source)
  return classify(cid, value, [first])
}

export async function fetchBlock (cid: CID, source: BlockSource): Promise<Block> {
  const bytes = await source(cid)
  if (bytes == null) throw new BlockNotFoundError(`Block ${cid.toString()} is not available`, { cid: cid.toString() })
  if (bytes.length > MAX_COMMIT_BLOCK_BYTES) {
    throw new OversizeError(`Block ${cid.toString()} is ${bytes.length} bytes; the limit is ${MAX_COMMIT_BLOCK_BYTES}`, { cid: cid.toString(), size: bytes.length })
  }
  await assertBlockMatches(cid, bytes)
  return { cid, bytes }
}

function classify (cid: CID, value: Record<string, unknown>, blocks: Block[]): RawCommit {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedCommitError('A commit must be a map')
  if ('proof' in value) throw new MalformedCommitError('A time commit cannot be signed')
  if ('prev' in value) {
    if (!Array.isArray(value.data)) throw new MalformedCommitError('A data commit\'s `data` must be a JSON-Patch array')
    const payload: DataPayload = { id: link(value.id, 'id'), prev: link(value.prev, 'prev'), data: value.data }
    if (value.header != null) payload.header = map(value.header, 'header')
    return { kind: 'data', cid, blocks, payload }
  }
  const header = map(value.header, 'header') as unknown as GenesisPayload['header']
  if (!Array.isArray(header.controllers) || !header.controllers.every((c) => typeof c === 'string')) {
    throw new MalformedCommitError('A genesis header needs `controllers`, a list of DIDs')
  }
  return { kind: 'genesis', cid, blocks, payload: value as unknown as GenesisPayload }
}

// Walks `path` from the proof's merkle root; the leaf it reaches must be the commit's `prev`.
async function loadTimeCommit (cid: CID, value: Record<string, unknown>, first: Block, source: BlockSource): Promise<RawTimeCommit> {
  const payload: TimePayload = { id: link(value.id, 'id'), prev: link(value.prev, 'prev'), proof: link(value.proof, 'proof'), path: text(value.path, 'path') }
  const proofBlock = await fetchBlock(payload.proof, source)
  const blocks = [first, proofBlock]
  const fields = map(decodeCbor(proofBlock.bytes, 'Anchor proof'), 'proof')
  const proof: AnchorProof = { chainId: text(fields.chainId, 'chainId'), txHash: link(fields.txHash, 'txHash'), root: link(fields.root, 'root') }
  if (fields.txType != null) proof.txType = text(fields.txType, 'txType')
  let node = proof.root
  for (const step of payload.path.split('/').filter((s) => s !== '')) {
    const block = await fetchBlock(node, source)
    blocks.push(block)
    const pair = decodeCbor<unknown[]>(block.bytes, 'Merkle node')
    if (!Array.isArray(pair) || (step !== '0' && step !== '1')) throw new MalformedCommitError(`Anchor path step ${step} does not resolve`)
    node = link(pair[Number(step)], 'merkle link')
  }
  if (!node.equals(payload.prev)) throw new MalformedCommitError('Anchor path does not lead to the anchored commit')
  return { kind: 'time', cid, blocks, payload, proof }
}

function link (value: unknown, field: string): CID {
  const cid = asCid(value)
  if (cid == null) throw new MalformedCommitError(`Commit field \`${field}\` must be a CID link`)
  return cid
}

function text (value: unknown, field: string): string {
  if (typeof value !== 'string') throw new MalformedCommitError(`Field \`${field}\` must be a string`)
  return value
}

function map (value: unknown, field: string): Record<string, unknown> {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) throw new MalformedCommitError(`Field \`${field}\` must be a map`)
  return value as Record<string, unknown>
}

/**
 * The controller a stored genesis names, for a store's migration: the blocks are the store's own,
 * verified when they were stored, so no hash is checked (a browser's digest is asynchronous and
 * would end the IndexedDB upgrade transaction). Undefined where a block is missing.
 */
export async function storedGenesisController (cid: CID, get: (cid: CID) => Promise<Uint8Array | undefined>): Promise<string | undefined> {
  const first = await get(cid)
  if (first == null) return undefined
  const payload = cid.code === DAG_JOSE_CODE ? await get(decodeEnvelope(first).payloadCid) : first
  if (payload == null) return undefined
  const header = decodeCbor<{ header?: { controllers?: unknown[] } } | null>(payload, 'Genesis payload')?.header
  const controller = header?.controllers?.[0]
  return typeof controller === 'string' ? controller : undefined
}
