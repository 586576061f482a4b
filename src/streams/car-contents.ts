import { decode as decodeCborValue } from '@ipld/dag-cbor'
import type { CID } from 'multiformats/cid'
import { type BlockSource, DAG_CBOR_CODE, DAG_JOSE_CODE, asCid } from '../commits/block.js'
import type { DecodedCar } from '../commits/car.js'
import { type RawCommit, loadCommit } from '../commits/decode.js'
import { capabilityCid, decodeEnvelope } from '../commits/jws.js'
import { StreamID } from '../ids/index.js'
import { BlockNotFoundError, CommitLinkError, InvalidCarError, hasCode } from '../errors.js'
import { asCarError } from './transfer.js'
import { inferStreamType } from './load.js'

/** What a CAR holds, found from its blocks alone (its root says nothing reliable: genesis, tip, a middle commit). */
export interface CarContents {
  streamId: StreamID
  /** The ends of its branches: commits in the CAR that no other commit in it builds on. */
  tips: CID[]
  /** How many commits the CAR holds. */
  commits: number
}

/**
 * Finds every commit in a CAR and checks, before anything is stored, that they all belong to one
 * stream, that every block each commit needs is in the CAR or already known (`source` reads both),
 * and that each commit builds on one in the CAR or one this node holds (`knownCommits`). Signatures
 * and content are not checked here: the node verifies each branch as it ingests it.
 *
 * A commit whose `prev` is nowhere (a ceramic-one event CAR imported before the event it follows)
 * is refused at once rather than held: this node cannot tell whether the missing event will ever
 * come, and keeping unverified events around is memory a stranger could fill. Import the earlier
 * events first (sync fetches them by itself).
 */
export async function readCarContents (car: DecodedCar, source: BlockSource, knownCommits: (id: StreamID) => Promise<Set<string>>): Promise<CarContents> {
  return await asCarError(async () => {
    const commits: RawCommit[] = []
    for (const cid of commitCidsIn(car)) commits.push(await loadCommit(cid, source))
    if (commits.length === 0) throw new InvalidCarError('The CAR holds no commit')
    const streamId = await streamOf(commits, source)
    const inCar = new Set(commits.map((c) => c.cid.toString()))
    const known = await knownCommits(streamId)
    const builtOn = new Set<string>()
    for (const commit of commits) {
      if (commit.kind === 'genesis') continue
      const prev = commit.payload.prev.toString()
      builtOn.add(prev)
      if (!inCar.has(prev) && !known.has(prev)) {
        throw new CommitLinkError(`Commit ${commit.cid.toString()} builds on ${prev}, which is neither in the CAR nor known here: import that one first`, { commit: commit.cid.toString(), prev, stream: streamId.toString() })
      }
    }
    const tips = commits.filter((c) => !builtOn.has(c.cid.toString())).map((c) => c.cid)
    tips.sort((a, b) => a.toString() < b.toString() ? -1 : 1)
    return { streamId, tips, commits: commits.length }
  })
}

/**
 * The blocks that are commits: every DAG-JWS envelope, and every dag-cbor map shaped like a commit
 * (a genesis `header`, or `prev` and `id`) that is not the payload of an envelope in the CAR.
 * Other blocks (payloads, CACAOs, anchor proofs, merkle nodes, anything else) are parts, not commits.
 */
function commitCidsIn (car: DecodedCar): CID[] {
  const candidates: CID[] = []
  const parts = new Set<string>()
  for (const { cid, bytes } of car.blocks.values()) {
    if (cid.code === DAG_JOSE_CODE) {
      const envelope = decodeEnvelope(bytes)
      parts.add(envelope.payloadCid.toString())
      const cap = capabilityCid(envelope.header)
      if (cap != null) parts.add(cap.toString())
      candidates.push(cid)
    } else if (cid.code === DAG_CBOR_CODE && looksLikeCommit(bytes)) {
      candidates.push(cid)
    }
  }
  return candidates.filter((cid) => !parts.has(cid.toString()))
}

function looksLikeCommit (bytes: Uint8Array): boolean {
  let value: unknown
  try {
    value = decodeCborValue(bytes)
  } catch {
    return false // assertBlockMatches let it in, but it is no commit: not ours to judge
  }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return false
  const map = value as Record<string, unknown>
  if ('prev' in map) return asCid(map.id) != null
  return 'header' in map
}

/** The one stream every commit belongs to (its genesis from the CAR or from what this node holds). */
async function streamOf (commits: RawCommit[], source: BlockSource): Promise<StreamID> {
  const genesisCids = new Set(commits.map((c) => c.kind === 'genesis' ? c.cid.toString() : c.payload.id.toString()))
  if (genesisCids.size > 1) {
    throw new InvalidCarError(`The CAR mixes commits of ${genesisCids.size} streams; import one stream per CAR`, { geneses: [...genesisCids] })
  }
  const commit = commits[0]
  const genesisCid = commit.kind === 'genesis' ? commit.cid : commit.payload.id
  const inCar = commits.find((c) => c.kind === 'genesis')
  const genesis = inCar ?? await loadGenesis(genesisCid, source)
  if (genesis.kind !== 'genesis') throw new CommitLinkError(`Commit ${genesisCid.toString()}, named as the stream's genesis, is not a genesis`)
  return StreamID.fromGenesis(inferStreamType(genesis.payload), genesisCid)
}

async function loadGenesis (cid: CID, source: BlockSource): Promise<RawCommit> {
  try {
    return await loadCommit(cid, source)
  } catch (err) {
    if (!hasCode(err, BlockNotFoundError)) throw err
    throw new CommitLinkError(`The CAR's commits belong to stream genesis ${cid.toString()}, which is neither in the CAR nor known here: import the stream first`, { genesis: cid.toString() }, { cause: err })
  }
}
