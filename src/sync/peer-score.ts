/**
 * What this node thinks of each peer. Forged or invalid data and malformed messages lower a peer's
 * score; at BAN_SCORE the peer is disconnected and, through the deny list the connection gater
 * reads, refused for BAN_DURATION_MS. Penalties fade (half-life), so a peer that once relayed
 * something odd is not cut off forever. Rate limits are token buckets per peer and request kind.
 * Faults an honest peer also makes (a miss, a slow link, a burst past a stream limit) are charged:
 * free within a per-peer allowance, penalized past it. What is remembered per peer is bounded.
 */
import type { Logger } from '@libp2p/interface'
import {
  BAN_DURATION_MS, BAN_SCORE, BLOCK_REQUESTS_PER_SECOND, BLOCK_REQUEST_BURST, FAULTS_PER_SECOND, FAULT_BURST, HEADS_REQUESTS_PER_SECOND,
  HEADS_REQUEST_BURST, INVALID_COMMIT_PENALTY, MALFORMED_MESSAGE_PENALTY, MAX_RATE_WAIT_MS, PRESENCE_BURST, PRESENCE_PER_SECOND,
  RATE_LIMIT_PENALTY, REFUSED_REQUEST_PENALTY, SCORE_HALF_LIFE_MS, SLOW_STREAM_PENALTY, STREAM_FLOOD_PENALTY, UPDATES_PER_SECOND, UPDATE_BURST
} from './constants.js'
import { RateLimitedError } from '../errors.js'

/** Peers whose connections are refused until a time; the libp2p connection gater consults it. */
export interface DenyList {
  isDenied: (peerId: string) => boolean
  deny: (peerId: string, durationMs: number) => void
  /** Peers denied now, with the time (ms) their ban ends. */
  entries: () => Array<{ peerId: string, until: number }>
}

/** Bans remembered at once; past it the oldest are forgotten (a flood of fresh identities: they expire first anyway). */
export const MAX_DENIED_PEERS = 100_000

export function createDenyList (now: () => number = Date.now): DenyList {
  const until = new Map<string, number>()
  const prune = (): void => {
    for (const peerId of until.keys()) {
      if (until.size <= MAX_DENIED_PEERS) break
      until.delete(peerId)
    }
  }
  return {
    isDenied (peerId) {
      const end = until.get(peerId)
      if (end == null) return false
      if (end > now()) return true
      until.delete(peerId)
      return false
    },
    deny (peerId, durationMs) {
      until.set(peerId, Math.max(until.get(peerId) ?? 0, now() + durationMs))
      prune()
    },
    entries: () => [...until].filter(([, end]) => end > now()).map(([peerId, end]) => ({ peerId, until: end }))
  }
}

/**
 * What a peer did wrong. Invalid commits are proof of forgery or corruption; the rest may be bugs.
 * The last three are faults an honest peer makes too, and are meant for `charge`.
 */
export type Offence = 'invalid-commit' | 'malformed-message' | 'rate-limit' | 'stream-flood' | 'slow-stream' | 'refused-request'

const PENALTY: Record<Offence, number> = {
  'invalid-commit': INVALID_COMMIT_PENALTY,
  'malformed-message': MALFORMED_MESSAGE_PENALTY,
  'rate-limit': RATE_LIMIT_PENALTY,
  'stream-flood': STREAM_FLOOD_PENALTY,
  'slow-stream': SLOW_STREAM_PENALTY,
  'refused-request': REFUSED_REQUEST_PENALTY
}

export type RequestKind = 'blocks' | 'heads' | 'updates' | 'presence' | 'faults'

const RATES: Record<RequestKind, { perSecond: number, burst: number }> = {
  blocks: { perSecond: BLOCK_REQUESTS_PER_SECOND, burst: BLOCK_REQUEST_BURST },
  heads: { perSecond: HEADS_REQUESTS_PER_SECOND, burst: HEADS_REQUEST_BURST },
  updates: { perSecond: UPDATES_PER_SECOND, burst: UPDATE_BURST },
  presence: { perSecond: PRESENCE_PER_SECOND, burst: PRESENCE_BURST },
  faults: { perSecond: FAULTS_PER_SECOND, burst: FAULT_BURST }
}

export interface PeerScore {
  /** Lowers the peer's score; at BAN_SCORE it is banned and `onBan` disconnects it. */
  penalize: (peerId: string, offence: Offence, reason: string) => void
  /** A fault honest peers also make: free within the peer's allowance (FAULT_BURST, FAULTS_PER_SECOND), penalized past it. */
  charge: (peerId: string, offence: Offence, reason: string) => void
  score: (peerId: string) => number
  /** Waits for the peer's rate slot; throws RateLimitedError (and penalizes) for a flood. */
  admit: (peerId: string, kind: RequestKind) => Promise<void>
  /** For messages that cannot wait: true if within the rate, else false (no penalty). */
  tryAdmit: (peerId: string, kind: RequestKind) => boolean
  readonly penalties: number
  readonly bans: number
  /** Faults charged, free or not. */
  readonly charges: number
  /** Scores and rate buckets remembered (each map bounded by MAX_TRACKED_PEERS). */
  readonly remembered: number
}

export interface PeerScoreInit {
  denyList: DenyList
  /** Called once when a peer is banned: hang up on it. */
  onBan: (peerId: string) => void
  log: Logger
  now?: () => number
}

/** Beyond this many tracked peers, those whose score has faded are forgotten, then the longest unchanged. */
export const MAX_TRACKED_PEERS = 10_000

export function createPeerScore (init: PeerScoreInit): PeerScore {
  const { denyList, onBan, log } = init
  const now = init.now ?? Date.now
  const scores = new Map<string, { value: number, at: number }>()
  const buckets = new Map<string, { tokens: number, at: number }>()
  let penalties = 0
  let bans = 0
  let charges = 0

  const current = (peerId: string): number => {
    const entry = scores.get(peerId)
    if (entry == null) return 0
    return entry.value * Math.pow(0.5, (now() - entry.at) / SCORE_HALF_LIFE_MS)
  }

  const prune = (): void => {
    if (scores.size <= MAX_TRACKED_PEERS) return
    for (const peerId of scores.keys()) if (Math.abs(current(peerId)) < 1) scores.delete(peerId)
    // Still full (a flood of fresh identities, each penalized): the least recently penalized go, down
    // to 90% so the sweep above runs once per thousand peers, not per penalty. Bans stay in the deny list.
    for (const peerId of scores.keys()) {
      if (scores.size <= MAX_TRACKED_PEERS * 0.9) break
      scores.delete(peerId)
    }
  }

  /** Takes a token; returns how long the caller must wait for it (negative tokens are debt). */
  const take = (peerId: string, kind: RequestKind): number => {
    const { perSecond, burst } = RATES[kind]
    const key = `${kind}:${peerId}`
    const bucket = buckets.get(key) ?? { tokens: burst, at: now() }
    bucket.tokens = Math.min(burst, bucket.tokens + (now() - bucket.at) * perSecond / 1000) - 1
    bucket.at = now()
    buckets.set(key, bucket)
    if (buckets.size > MAX_TRACKED_PEERS) buckets.delete(buckets.keys().next().value as string)
    return bucket.tokens >= 0 ? 0 : -bucket.tokens * 1000 / perSecond
  }
  const refund = (peerId: string, kind: RequestKind): void => {
    const bucket = buckets.get(`${kind}:${peerId}`)
    if (bucket != null) bucket.tokens += 1
  }

  const penalize = (peerId: string, offence: Offence, reason: string): void => {
    penalties++
    const value = current(peerId) - PENALTY[offence]
    // Re-inserted, so the map's order is least recently penalized first (what prune drops).
    scores.delete(peerId)
    scores.set(peerId, { value, at: now() })
    prune()
    log('peer %s penalized for %s (%s): score %d', peerId, offence, reason, Math.round(value))
    // Rounded: decay between two penalties must not keep a peer a hair above the line.
    if (Math.round(value) <= BAN_SCORE && !denyList.isDenied(peerId)) {
      bans++
      denyList.deny(peerId, BAN_DURATION_MS)
      log.error('peer %s banned for %d ms: score %d after %s', peerId, BAN_DURATION_MS, Math.round(value), reason)
      onBan(peerId)
    }
  }

  return {
    penalize,
    charge (peerId, offence, reason) {
      charges++
      if (take(peerId, 'faults') === 0) return
      refund(peerId, 'faults')
      penalize(peerId, offence, reason)
    },
    score: current,
    async admit (peerId, kind) {
      const wait = take(peerId, kind)
      if (wait === 0) return
      if (wait > MAX_RATE_WAIT_MS) {
        refund(peerId, kind)
        penalize(peerId, 'rate-limit', `${kind} requests over ${RATES[kind].perSecond}/s`)
        throw new RateLimitedError(`Too many ${kind} requests from ${peerId}`, { peerId, kind })
      }
      await new Promise((resolve) => setTimeout(resolve, wait))
    },
    tryAdmit (peerId, kind) {
      if (take(peerId, kind) === 0) return true
      refund(peerId, kind)
      return false
    },
    get penalties () { return penalties },
    get bans () { return bans },
    get charges () { return charges },
    get remembered () { return scores.size + buckets.size }
  }
}
