import { expect, it } from 'vitest'
import { base64url } from 'multiformats/bases/base64'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { fromString as bytesFromString, toString as bytesToString } from 'uint8arrays'
import { type Block, DAG_JOSE_CODE, cidFor, encodeCborBlock } from '../../src/commits/block.js'
import { loadCommit } from '../../src/commits/decode.js'
import { decodeEnvelope, encodeEnvelope } from '../../src/commits/jws.js'
import { InvalidAnchorError } from '../../src/errors.js'
import { withCapability } from '../../src/identity/signer.js'
import { StreamID } from '../../src/ids/index.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { inferStreamType, loadStream } from '../../src/streams/load.js'
import { type Rng, fuzzRuns, mutateBytes, mutateCbor, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'
import { siweCacao } from '../fixtures/wallet.js'

/**
 * dag-cbor and dag-jose commit blocks into the commit decoder and verifier (loadCommit, then
 * loadStream: the log walk, signature, CACAO and anchor checks, the reducer). A mutated block gets
 * its CID recomputed, and whatever linked to it is re-linked (an envelope to its payload, a header
 * to its CACAO, a time commit to its proof), so the mutation reaches the decoder behind the hash check.
 */
const RUNS = fuzzRuns(900)
const ANCHOR_CHAIN = 'eip155:1337'

interface Sample { tip: CID, streamId: StreamID, blocks: Map<string, Block> }

async function samples (): Promise<Sample[]> {
  const signer = await kilnSigner('alice')
  const session = await kilnSigner('session-alice')
  const node = createStreamNode({ store: createMemoryStore(), signer })
  const tile = await node.create({ content: { n: 1, text: 'first' }, family: 'notes' })
  const updated = await node.update(tile.id, { content: { n: 2, list: [1, 2] } })
  const delegated = createStreamNode({ store: createMemoryStore(), signer: await withCapability(session, await siweCacao({ session: session.id })) })
  const sessionTile = await delegated.create({ content: { by: 'session' } })
  const out: Sample[] = []
  for (const [from, id, tip] of [[node, tile.id, tile.tip], [node, updated.id, updated.tip], [delegated, sessionTile.id, sessionTile.tip]] as const) {
    const blocks = new Map<string, Block>()
    for (const commit of await from.commits(id)) {
      const loaded = await loadCommit(CID.parse(commit.cid), async (cid) => await from.block(cid.toString()))
      for (const block of loaded.blocks) blocks.set(block.cid.toString(), block)
    }
    out.push({ tip: CID.parse(tip), streamId: StreamID.fromString(id), blocks })
  }
  // A time commit on the updated tile: a proof whose merkle path leads from its root to the tip.
  const last = out[1]
  const sibling = await encodeCborBlock({ other: true })
  const merkle = await encodeCborBlock([last.tip, sibling.cid])
  const proof = await encodeCborBlock({ chainId: ANCHOR_CHAIN, txHash: sibling.cid, root: merkle.cid, txType: 'f(bytes32)' })
  const time = await encodeCborBlock({ id: last.streamId.cid, prev: last.tip, proof: proof.cid, path: '0' })
  const anchored = new Map(last.blocks)
  for (const block of [sibling, merkle, proof, time]) anchored.set(block.cid.toString(), block)
  out.push({ tip: time.cid, streamId: last.streamId, blocks: anchored })
  await node.close()
  await delegated.close()
  return out
}

/** The block map with one block mutated (its CID recomputed), re-linked up to the commit that now reaches it. */
async function mutated (rng: Rng, sample: Sample): Promise<{ tip: CID, blocks: Map<string, Block> }> {
  const blocks = new Map(sample.blocks)
  const list = [...blocks.values()]
  const target = rng.pick(list)
  const bytes = rng.chance(0.6) ? mutateCbor(rng, target.bytes) : mutateBytes(rng, target.bytes, list.map((b) => b.bytes))
  let from = target.cid
  let to = await cidFor(target.cid.code, bytes)
  blocks.set(to.toString(), { cid: to, bytes })
  // A payload, CACAO, proof or merkle node: re-link whatever pointed at it, up to the tip, so the walk reaches it.
  for (let hops = 0; from.toString() !== sample.tip.toString() && hops < 4; hops++) {
    const parent = await relink(blocks, from, to)
    if (parent == null) break
    ;[from, to] = parent
  }
  return { tip: to, blocks }
}

/** Rewrites the block that links to `from` (an envelope's payload or `cap`, a map's or list's field) to link to `to`: [its old CID, its new]. */
async function relink (blocks: Map<string, Block>, from: CID, to: CID): Promise<[CID, CID] | undefined> {
  for (const block of blocks.values()) {
    if (block.cid.toString() === to.toString()) continue
    let rewritten: Block | undefined
    if (block.cid.code === DAG_JOSE_CODE) {
      const { jws, payloadCid, header } = decodeEnvelope(block.bytes)
      const [signature] = jws.signatures
      if (payloadCid.toString() === from.toString()) rewritten = await encodeEnvelope({ payload: base64url.baseEncode(to.bytes), signatures: [signature] })
      else if (header.cap === `ipfs://${from.toString()}`) {
        const text = bytesToString(base64url.baseDecode(signature.protected)).replace(from.toString(), to.toString())
        rewritten = await encodeEnvelope({ payload: jws.payload, signatures: [{ protected: base64url.baseEncode(bytesFromString(text)), signature: signature.signature }] })
      }
    } else {
      let value: unknown
      try { value = dagCbor.decode(block.bytes) } catch { continue }
      if (value == null || typeof value !== 'object') continue
      const fields = value as Record<string, unknown>
      const key = Object.keys(fields).find((k) => CID.asCID(fields[k])?.toString() === from.toString())
      // A genesis or data commit's `id`/`prev` point backwards: only forward links (payload, proof, root, merkle) are followed.
      if (key == null || key === 'prev' || key === 'id') continue
      fields[key] = to
      rewritten = await encodeCborBlock(value)
    }
    if (rewritten != null) { blocks.set(rewritten.cid.toString(), rewritten); return [block.cid, rewritten.cid] }
  }
  return undefined
}

it(`refuses ${RUNS} mutated commit blocks with typed errors in the decoder and verifier`, async () => {
  const all = await samples()
  const anchorValidator = async (proof: { chainId: string }): Promise<number> => {
    if (proof.chainId !== ANCHOR_CHAIN) throw new InvalidAnchorError(`Unknown chain ${proof.chainId}`)
    return 1_700_000_000
  }
  // The valid samples load: the suite starts from inputs the verifier accepts.
  for (const sample of all) await loadStream(sample.streamId, sample.tip, async (cid) => sample.blocks.get(cid.toString())?.bytes, { anchorValidator })
  const result = await runFuzz({
    name: 'commits',
    runs: RUNS,
    input: async (rng) => await mutated(rng, rng.pick(all)),
    async run ({ tip, blocks }) {
      const source = async (cid: CID): Promise<Uint8Array | undefined> => blocks.get(cid.toString())?.bytes
      const commit = await loadCommit(tip, source)
      const streamId = commit.kind === 'genesis' ? StreamID.fromGenesis(inferStreamType(commit.payload), commit.cid) : StreamID.fromGenesis(0, commit.payload.id)
      return await loadStream(streamId, tip, source, { anchorValidator })
    },
    show: ({ tip, blocks }) => `tip ${tip.toString()} of ${JSON.stringify([...blocks.values()].map((b) => [b.cid.toString(), Buffer.from(b.bytes).toString('hex')]))}`
  })
  expect(result.failures).toEqual([])
  expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 2)
}, 120_000)
