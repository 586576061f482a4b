/**
 * Ingests one stream tip from one peer and judges the outcome. This is where a peer's data is
 * held against it: a commit that fails verification penalizes the peer that served it, and the
 * tip is remembered as invalid so it is not fetched again. Missing Models/schemas are fetched from
 * the same peer first. Never throws: every failure is counted and logged.
 */
import type { Libp2p, Logger, PeerId } from '@libp2p/interface'
import {
  CapabilityExpiredError, CapabilityScopeError, CommitLinkError, ForbiddenChangeError, InvalidAnchorError, InvalidCapabilityError,
  InvalidIdError, InvalidSignatureError, MalformedCommitError, MissingDependencyError, OversizeError, SchemaViolationError,
  SyncProtocolError, WrongControllerError, codeOf
} from '../errors.js'
import type { LoadedCommits } from '../commits/decode.js'
import { CommitID } from '../ids/index.js'
import type { StreamNode } from '../node/stream-node.js'
import { blocksFrom } from './block-exchange.js'
import { JUDGED_CACHE_SIZE, MAX_DEPENDENCY_DEPTH } from './constants.js'
import { requestHeads } from './heads-sync.js'
import { createLru } from './lru.js'
import type { PeerScore } from './peer-score.js'

/** Codes that prove the served data is forged or corrupt, whoever signed it. */
export const INVALID_DATA_CODES: ReadonlySet<string> = new Set([
  InvalidSignatureError, WrongControllerError, MalformedCommitError, InvalidCapabilityError, CapabilityScopeError,
  CommitLinkError, OversizeError, SchemaViolationError, ForbiddenChangeError, InvalidIdError
].map((E) => E.code))
/**
 * Refused but not held against the peer: an expired session or an anchor this node cannot check
 * depends on the clock and configuration, and an honest peer may have accepted it earlier.
 */
export const REFUSED_CODES: ReadonlySet<string> = new Set([CapabilityExpiredError, InvalidAnchorError].map((E) => E.code))

export type IngestOutcome = 'ok' | 'invalid' | 'refused' | 'failed'

export interface IngestOptions {
  signal?: AbortSignal
  /** Blocks already fetched from the peer (catch-up fetches a batch of streams at once). */
  prefetched?: Map<string, Uint8Array>
  /** Commits catch-up read from those blocks already (to find the tips): not decoded again. */
  loaded?: LoadedCommits
  /**
   * Catch-up: the peer already has these commits, and every other peer catches up with it by
   * itself, so the new tip is not announced (a fresh node would otherwise echo a whole network).
   */
  quiet?: boolean
  /** Commit times the peer attested (set by the ingester itself when it asks a witness). */
  witnessedAt?: (cid: string) => number | undefined
}

export interface Ingester {
  ingest: (peer: PeerId, stream: string, tip: string, options?: IngestOptions) => Promise<IngestOutcome>
  /** The remembered verdict for a stream/tip, if it was judged invalid or refused. */
  verdict: (stream: string, tip: string) => 'invalid' | 'refused' | undefined
  /** True while a quiet ingest is storing this stream/tip: gossip does not announce it. */
  isQuiet: (stream: string, tip: string) => boolean
  readonly failed: number
  readonly invalid: number
}

export interface IngesterInit {
  node: StreamNode
  libp2p: Libp2p
  score: PeerScore
  log: Logger
  /**
   * Peers trusted to say when they accepted a commit (the server peers this node was configured
   * with). A commit whose wallet session has expired since is judged at that time.
   */
  isWitness?: (peer: string) => boolean
}

export function createIngester (init: IngesterInit): Ingester {
  const { node, libp2p, score, log } = init
  const judged = createLru<'invalid' | 'refused'>(JUDGED_CACHE_SIZE)
  const quiet = new Set<string>()
  let failed = 0
  let invalid = 0

  async function attempt (peer: PeerId, stream: string, tip: string, depth: number, options: IngestOptions): Promise<IngestOutcome> {
    const { signal } = options
    const key = `${stream}/${tip}`
    const known = judged.get(key)
    if (known != null) return known
    try {
      if (options.quiet === true) quiet.add(key)
      await node.ingest(stream, tip, blocksFrom(libp2p, peer, signal, options.prefetched), { witnessedAt: options.witnessedAt, loaded: options.loaded })
      return 'ok'
    } catch (err) {
      const code = codeOf(err)
      const peerId = peer.toString()
      if (code === MissingDependencyError.code && depth < MAX_DEPENDENCY_DEPTH) {
        const dependency = dependencyOf((err as { details?: Record<string, unknown> }).details)
        if (dependency != null) log('%s needs %s: fetching it from %s first', key, dependency, peerId)
        if (dependency != null && await fetchDependency(peer, dependency, depth, options)) return await attempt(peer, stream, tip, depth + 1, options)
      }
      if (INVALID_DATA_CODES.has(code)) {
        invalid++
        // Bytes that do not hash to their CID say nothing of the tip: an honest peer may still serve it.
        if (!isMismatchedBlock(err)) judged.set(key, 'invalid')
        score.penalize(peerId, 'invalid-commit', `${code} in ${key}`)
        return 'invalid'
      }
      if (code === SyncProtocolError.code) score.penalize(peerId, 'malformed-message', (err as Error).message)
      if (code === CapabilityExpiredError.code && options.witnessedAt == null && init.isWitness?.(peerId) === true) {
        const witnessedAt = await witnessTimes(peer, stream, signal)
        if (witnessedAt != null) return await attempt(peer, stream, tip, depth, { ...options, witnessedAt })
      }
      if (REFUSED_CODES.has(code)) {
        judged.set(key, 'refused')
        log('refused %s from %s: %s', key, peerId, (err as Error).message)
        return 'refused'
      }
      failed++
      log('could not ingest %s from %s: %s %s', key, peerId, code, (err as Error).message)
      return 'failed'
    } finally {
      quiet.delete(key)
    }
  }

  /** When a witness peer accepted each commit of a stream, or undefined if it cannot tell. */
  async function witnessTimes (peer: PeerId, stream: string, signal?: AbortSignal): Promise<((cid: string) => number | undefined) | undefined> {
    try {
      const page = await requestHeads(libp2p, peer, { streams: [stream], times: true }, signal)
      const received = page.items.find((entry) => entry.id === stream)?.received
      return received == null ? undefined : (cid) => received[cid]
    } catch (err) {
      log('could not ask %s when it accepted %s: %s', peer.toString(), stream, (err as Error).message)
      return undefined
    }
  }

  /**
   * Ingests every tip the peer has of a Model or schema stream; true if any was stored. A catch-up
   * of a Model's documents finds them all missing the same Model at once: one fetch serves them.
   */
  const dependencyFetches = new Map<string, Promise<boolean>>()
  async function fetchDependency (peer: PeerId, stream: string, depth: number, options: IngestOptions): Promise<boolean> {
    const key = `${peer.toString()} ${stream}`
    let fetch = dependencyFetches.get(key)
    if (fetch == null) {
      fetch = fetchDependencyOnce(peer, stream, depth, options).finally(() => { dependencyFetches.delete(key) })
      dependencyFetches.set(key, fetch)
    }
    return await fetch || await node.has(stream)
  }

  async function fetchDependencyOnce (peer: PeerId, stream: string, depth: number, options: IngestOptions): Promise<boolean> {
    let page
    try {
      page = await requestHeads(libp2p, peer, { streams: [stream] }, options.signal)
    } catch (err) {
      failed++
      log('could not ask %s for dependency %s: %s', peer.toString(), stream, (err as Error).message)
      return false
    }
    let stored = false
    for (const entry of page.items) {
      for (const tip of entry.tips) {
        if (await attempt(peer, entry.id, tip, depth + 1, options) === 'ok') stored = true
      }
    }
    return stored
  }

  return {
    ingest: async (peer, stream, tip, options = {}) => await attempt(peer, stream, tip, 0, options),
    verdict: (stream, tip) => judged.get(`${stream}/${tip}`),
    isQuiet: (stream, tip) => quiet.has(`${stream}/${tip}`),
    get failed () { return failed },
    get invalid () { return invalid }
  }
}

function isMismatchedBlock (err: unknown): boolean {
  return (err as { details?: { mismatch?: unknown } }).details?.mismatch === true
}

/** MissingDependencyError names a Model StreamID or a schema CommitID; both live in a stream. */
function dependencyOf (details: Record<string, unknown> | undefined): string | undefined {
  if (typeof details?.model === 'string') return details.model
  if (typeof details?.schema === 'string') {
    try {
      return CommitID.fromString(details.schema).baseID.toString()
    } catch {
      return undefined // not a CommitID: no stream to fetch; the caller counts the failure
    }
  }
  return undefined
}
