/**
 * Catch-up: `/kiln/heads/1.0.0`. A peer asks which streams matching its interests another peer
 * has, with all their tips, page by page, and ingests every tip it lacks. Run on each new
 * connection and periodically, it converges after any partition, whatever gossip was lost:
 * every tip either side holds is eventually listed to the other.
 *   → frame `{ query?: StreamQuery, streams?: string[], cursor?: string, limit?: number, times?: true }`
 *   ← frame `{ items: [{ id, tips, controller, model?, family?, schema?, received? }], cursor? }` or `{ error }`
 * `times` (with exactly one stream) asks when the peer accepted each commit of it (`received`: CID
 * → ms): a node that trusts the peer as a time witness judges wallet sessions at those times.
 *
 * With every-stream interests, catch-up rounds use Recon instead (recon.ts: EventId keys, Sha256a
 * range sums, O(1) messages when both sides agree); this protocol serves narrower interests and
 * the ingester's lookups of missing Models and schemas.
 */
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { StreamID } from '../ids/index.js'
import type { StreamNode } from '../node/stream-node.js'
import type { StreamQuery } from '../store/store.js'
import { openStream } from './block-exchange.js'
import {
  HEADS_PAGE_SIZE, HEADS_PROTOCOL, HEADS_REQUEST_TIMEOUT_MS, MAX_HEADS_PAGES_PER_ROUND, MAX_HEADS_REQUEST_BYTES,
  MAX_HEADS_RESPONSE_BYTES, MAX_HEADS_STREAMS_PER_PEER, MAX_STREAM_IDS_PER_REQUEST, MAX_TIPS_PER_STREAM, MAX_WITNESSED_COMMITS
} from './constants.js'
import { RateLimitedError, SyncProtocolError } from '../errors.js'
import { closeThenRead, readOneFrame, sendFrames, withDeadline } from './frames.js'
import { allHeads } from './local-streams.js'
import { serveRequests } from './serve-requests.js'
import type { Ingester } from './ingest.js'
import { type MissingCommit, ingestCommits } from './catch-up.js'
import type { HeadsEntry, SyncInterest } from './interests.js'
import type { PeerScore } from './peer-score.js'

export interface HeadsRequest {
  query?: StreamQuery
  streams?: string[]
  cursor?: string
  limit?: number
  /** With exactly one stream: also when each of its commits was accepted. */
  times?: boolean
}

export interface HeadsPage {
  items: HeadsEntry[]
  cursor?: string
}

export interface ServeHeadsInit {
  libp2p: Libp2p
  node: StreamNode
  score: PeerScore
  log: Logger
}

/** Answers heads requests from the node's store; returns a function that stops answering. */
export async function serveHeads (init: ServeHeadsInit): Promise<() => Promise<void>> {
  return await serveRequests(init, {
    protocol: HEADS_PROTOCOL,
    kind: 'heads',
    timeoutMs: HEADS_REQUEST_TIMEOUT_MS,
    maxRequestBytes: MAX_HEADS_REQUEST_BYTES,
    maxStreamsPerPeer: MAX_HEADS_STREAMS_PER_PEER,
    parse: parseRequest,
    answer: async (request) => [await answerFor(init.node, request)],
    // Asking by id for streams none of which is here; an empty query page is an honest answer.
    isEmpty: (request, frames) => request.streams != null && (frames[0] as HeadsPage).items.length === 0
  })
}

async function answerFor (node: StreamNode, request: HeadsRequest): Promise<HeadsPage> {
  if (request.streams != null) {
    const items: HeadsEntry[] = []
    for (const id of request.streams) {
      const held = await node.find(id)
      if (held == null) continue
      const entry: HeadsEntry = clean({ id: held.id, tips: held.tips, controller: held.controller, model: held.model, family: held.family, schema: held.schema })
      if (request.times === true) entry.received = Object.fromEntries((await node.commits(held.id)).slice(0, MAX_WITNESSED_COMMITS).map((c) => [c.cid, c.receivedAt]))
      items.push(entry)
    }
    return { items }
  }
  const page = await node.heads(request.query ?? {}, { limit: Math.min(request.limit ?? HEADS_PAGE_SIZE, HEADS_PAGE_SIZE), cursor: request.cursor })
  return clean({ items: page.items.map((h) => clean({ id: h.id, tips: h.tips, controller: h.controller, model: h.model })), cursor: page.cursor })
}

/** Asks `peer` for one page of heads. */
export async function requestHeads (libp2p: Libp2p, peer: PeerId, request: HeadsRequest, signal?: AbortSignal): Promise<HeadsPage> {
  const stream = await openStream(libp2p, peer, HEADS_PROTOCOL, signal)
  return await withDeadline(stream, HEADS_REQUEST_TIMEOUT_MS, async (deadline) => {
    await sendFrames(stream, [clean({ ...request, query: request.query == null ? undefined : clean({ ...request.query }) })], deadline)
    const answer = await closeThenRead(stream, deadline, async () => await readOneFrame(stream, MAX_HEADS_RESPONSE_BYTES, 'unavailable'))
    if (typeof (answer as { error?: unknown } | null)?.error === 'string') {
      throw new RateLimitedError(`Peer ${peer.toString()} refused a heads request: ${String((answer as { error: string }).error).slice(0, 200)}`)
    }
    return parsePage(answer)
  }, signal)
}

export interface PullContext {
  libp2p: Libp2p
  node: StreamNode
  ingester: Ingester
}

/**
 * One catch-up round with one peer: every tip the peer lists for our interests that we do not
 * hold as a tip is ingested (a tip we hold as an ancestor is a cheap no-op). Returns how many
 * tips were handed to the ingester. A failed request ends the round with its error.
 */
export async function pullFrom (ctx: PullContext, peer: PeerId, interests: SyncInterest[], signal?: AbortSignal): Promise<number> {
  let handed = 0
  const catchUp = { libp2p: ctx.libp2p, ingester: ctx.ingester, has: async (cid: string) => await ctx.node.block(cid) != null }
  let taken = 0
  const take = async (items: HeadsEntry[], local: (id: string) => Promise<Set<string>>, bulk: boolean): Promise<void> => {
    const missing: MissingCommit[] = []
    for (const item of items) {
      const have = await local(item.id)
      for (const tip of item.tips) if (!have.has(tip)) missing.push({ stream: item.id, cid: tip })
    }
    if (missing.length > 0) handed += await ingestCommits(catchUp, peer, missing, { signal, bulk, first: taken++ === 0 })
  }
  for (const interest of interests) {
    if (interest.streams != null) {
      const bulk = interest.streams.length > MAX_STREAM_IDS_PER_REQUEST
      for (let i = 0; i < interest.streams.length; i += MAX_STREAM_IDS_PER_REQUEST) {
        const page = await requestHeads(ctx.libp2p, peer, { streams: interest.streams.slice(i, i + MAX_STREAM_IDS_PER_REQUEST) }, signal)
        await take(page.items, async (id) => await localTipsOf(ctx.node, id), bulk)
      }
      continue
    }
    const { model, controller, family, schema } = interest
    const query: StreamQuery = clean({ model, controller, family, schema })
    const local = await localHeads(ctx.node, query)
    let cursor: string | undefined
    for (let pages = 0; pages < MAX_HEADS_PAGES_PER_ROUND; pages++) {
      const page = await requestHeads(ctx.libp2p, peer, clean({ query, cursor, limit: HEADS_PAGE_SIZE }), signal)
      await take(page.items, async (id) => local.get(id) ?? new Set(), pages > 0 || page.cursor != null)
      if (page.cursor == null || page.items.length === 0) break
      cursor = page.cursor
    }
  }
  return handed
}

/** Every local stream matching `query` with its tips (a store index walk, no state decoding). */
async function localHeads (node: StreamNode, query: StreamQuery): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>()
  for await (const h of allHeads(node, query)) out.set(h.id, new Set(h.tips))
  return out
}

async function localTipsOf (node: StreamNode, id: string): Promise<Set<string>> {
  return new Set((await node.find(id))?.tips)
}

/** Checks a heads request frame (exported for the fuzz suite); SyncProtocolError when malformed. */
export function parseRequest (frame: unknown): HeadsRequest {
  if (frame == null || typeof frame !== 'object' || Array.isArray(frame)) throw new SyncProtocolError('A heads request must be a map')
  const { query, streams, cursor, limit, times } = frame as Record<string, unknown>
  const request: HeadsRequest = {}
  if (times === true) {
    if (!Array.isArray(streams) || streams.length !== 1) throw new SyncProtocolError('`times` asks about exactly one stream')
    request.times = true
  }
  if (streams != null) {
    if (!Array.isArray(streams) || streams.length > MAX_STREAM_IDS_PER_REQUEST) throw new SyncProtocolError(`\`streams\` must list at most ${MAX_STREAM_IDS_PER_REQUEST} StreamIDs`)
    request.streams = streams.map((id) => streamId(id))
  }
  if (query != null) {
    if (typeof query !== 'object' || Array.isArray(query)) throw new SyncProtocolError('`query` must be a map')
    const q = query as Record<string, unknown>
    request.query = {}
    for (const field of ['controller', 'model', 'family', 'schema'] as const) {
      if (q[field] == null) continue
      if (typeof q[field] !== 'string') throw new SyncProtocolError(`\`query.${field}\` must be a string`)
      request.query[field] = q[field]
    }
  }
  if (cursor != null) {
    if (typeof cursor !== 'string' || cursor.length > 512) throw new SyncProtocolError('`cursor` must be a short string')
    request.cursor = cursor
  }
  if (limit != null) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new SyncProtocolError('`limit` must be a positive integer')
    request.limit = limit
  }
  return request
}

/** Checks a heads answer frame (exported for the fuzz suite); SyncProtocolError when malformed. */
export function parsePage (frame: unknown): HeadsPage {
  const { items, cursor } = (frame ?? {}) as Record<string, unknown>
  if (!Array.isArray(items) || items.length > Math.max(HEADS_PAGE_SIZE, MAX_STREAM_IDS_PER_REQUEST)) throw new SyncProtocolError('A heads answer needs `items`, at most one page')
  if (cursor != null && typeof cursor !== 'string') throw new SyncProtocolError('`cursor` must be a string')
  const page: HeadsPage = { items: items.map(parseEntry) }
  if (typeof cursor === 'string') page.cursor = cursor
  return page
}

function parseEntry (value: unknown): HeadsEntry {
  const { id, tips, controller, model, family, schema, received } = (value ?? {}) as Record<string, unknown>
  if (!Array.isArray(tips) || tips.length === 0 || tips.length > MAX_TIPS_PER_STREAM) throw new SyncProtocolError(`A heads entry needs 1 to ${MAX_TIPS_PER_STREAM} tips`)
  if (typeof controller !== 'string') throw new SyncProtocolError('A heads entry needs a `controller`')
  const entry: HeadsEntry = { id: streamId(id), tips: tips.map(cid), controller }
  if (model != null) entry.model = streamId(model)
  if (typeof family === 'string') entry.family = family
  if (typeof schema === 'string') entry.schema = schema
  if (received != null) entry.received = parseTimes(received)
  return entry
}

function parseTimes (value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new SyncProtocolError('`received` must be a map of CID to time')
  const entries = Object.entries(value)
  if (entries.length > MAX_WITNESSED_COMMITS) throw new SyncProtocolError(`\`received\` lists at most ${MAX_WITNESSED_COMMITS} commits`)
  const times: Record<string, number> = {}
  for (const [key, at] of entries) {
    if (typeof at !== 'number' || !Number.isSafeInteger(at) || at < 0) throw new SyncProtocolError('A `received` time must be a non-negative integer (ms)')
    times[cid(key)] = at
  }
  return times
}

function streamId (value: unknown): string {
  try {
    if (typeof value !== 'string') throw new TypeError('not a string')
    return StreamID.fromString(value).toString()
  } catch (err) {
    throw new SyncProtocolError('Not a StreamID', undefined, { cause: err })
  }
}

function cid (value: unknown): string {
  try {
    if (typeof value !== 'string') throw new TypeError('not a string')
    return CID.parse(value).toString()
  } catch (err) {
    throw new SyncProtocolError('Not a CID', undefined, { cause: err })
  }
}

/** dag-cbor refuses `undefined`: drop absent optional fields before encoding. */
function clean<T extends object> (value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key]
  return value
}
