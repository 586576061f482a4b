/**
 * Events as ceramic-one's API carries them: one event per CAR, the event as the CAR's root. A posted
 * event goes through the node's ingest path like a commit from a peer (every block checked, the
 * signature and the stream's rules verified, all or nothing); an event is read back as the CAR of
 * its own blocks.
 */
import type { CID } from 'multiformats/cid'
import type { BlockSource } from '../commits/block.js'
import { decodeCar, encodeCar } from '../commits/car.js'
import { type RawCommit, loadCommit } from '../commits/decode.js'
import { StreamID } from '../ids/index.js'
import { BlockNotFoundError, CommitLinkError, type KilnError, MalformedCommitError, hasCode } from '../errors.js'
import type { StreamNode } from '../node/stream-node.js'
import { inferStreamType } from '../streams/load.js'

/** Verifies and stores the event a CAR holds; the event's `prev` must be known already (or in the CAR). */
export async function ingestEventCar (node: StreamNode, car: Uint8Array): Promise<{ streamId: string, cid: string }> {
  const decoded = await decodeCar(car)
  const source: BlockSource = async (cid) => decoded.blocks.get(cid.toString())?.bytes ?? await node.block(cid.toString())
  try {
    const streamId = await streamOf(decoded.root, source)
    await node.ingest(streamId.toString(), decoded.root.toString(), source)
    return { streamId: streamId.toString(), cid: decoded.root.toString() }
  } catch (err) {
    // ceramic-one would hold such an event until its prev arrives; here it is refused, and says why.
    if (!hasCode(err, BlockNotFoundError)) throw err
    const { details } = err as KilnError
    throw new BlockNotFoundError(`Event ${decoded.root.toString()} needs ${String(details?.cid)}, which is neither in its CAR nor on this server: post the stream's earlier events first`, details, { cause: err })
  }
}

/** The CAR of one stored event (its envelope, payload and CACAO, or its proof), or undefined if not held. */
export async function eventCar (node: StreamNode, cid: CID): Promise<Uint8Array | undefined> {
  if (await node.block(cid.toString()) == null) return undefined
  const source: BlockSource = async (c) => await node.block(c.toString())
  // A stored block may be a payload, a CACAO or a proof rather than an event: only the stream's commits count.
  let commit: RawCommit
  let streamId: StreamID
  try {
    commit = await loadCommit(cid, source)
    streamId = await streamOf(cid, source)
  } catch (err) {
    if (NOT_AN_EVENT.some((E) => hasCode(err, E))) return undefined
    throw err
  }
  if (!(await node.commits(streamId.toString())).some((c) => c.cid === cid.toString())) return undefined
  return await encodeCar(cid, commit.blocks)
}

/** How a stored block that is not an event root fails to read as one. */
const NOT_AN_EVENT = [MalformedCommitError, CommitLinkError, BlockNotFoundError]

/** The stream an event belongs to: its own if it is an init event, else the one its `id` names. */
async function streamOf (cid: CID, source: BlockSource): Promise<StreamID> {
  const event = await loadCommit(cid, source)
  const genesis = event.kind === 'genesis' ? event : await loadCommit(event.payload.id, source)
  if (genesis.kind !== 'genesis') throw new CommitLinkError(`Event ${cid.toString()} names ${genesis.cid.toString()} as its stream, which is not an init event`)
  return StreamID.fromGenesis(inferStreamType(genesis.payload), genesis.cid)
}
