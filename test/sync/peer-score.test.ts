import { describe, expect, it } from 'vitest'
import type { Logger } from '@libp2p/interface'
import {
  BAN_DURATION_MS, BAN_SCORE, BLOCK_REQUEST_BURST, FAULT_BURST, FAULTS_PER_SECOND, INVALID_COMMIT_PENALTY, MALFORMED_MESSAGE_PENALTY,
  REFUSED_REQUEST_PENALTY, SCORE_HALF_LIFE_MS, STREAM_FLOOD_PENALTY, UPDATE_BURST
} from '../../src/sync/constants.js'
import { MAX_DENIED_PEERS, MAX_TRACKED_PEERS, createDenyList, createPeerScore } from '../../src/sync/peer-score.js'

/** A silent logger (the real one comes from the libp2p node). */
const log: Logger = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false, newScope: () => log })

function setup (): { clock: { now: number }, banned: string[], score: ReturnType<typeof createPeerScore>, denyList: ReturnType<typeof createDenyList> } {
  const clock = { now: 1_000_000 }
  const banned: string[] = []
  const denyList = createDenyList(() => clock.now)
  const score = createPeerScore({ denyList, onBan: (p) => banned.push(p), log, now: () => clock.now })
  return { clock, banned, score, denyList }
}

describe('peer score', () => {
  it('two invalid commits ban a peer: it is hung up on and denied for BAN_DURATION_MS', () => {
    const { clock, banned, score, denyList } = setup()
    score.penalize('p1', 'invalid-commit', 'forged')
    expect(score.score('p1')).toBe(-INVALID_COMMIT_PENALTY)
    expect(banned).toEqual([])
    clock.now += 1_000
    score.penalize('p1', 'invalid-commit', 'forged again')
    expect(banned).toEqual(['p1'])
    expect(denyList.isDenied('p1')).toBe(true)
    expect(denyList.isDenied('p2')).toBe(false)
    clock.now += BAN_DURATION_MS + 1
    expect(denyList.isDenied('p1')).toBe(false)
  })

  it('penalties fade with a half-life, so occasional faults never add up to a ban', () => {
    const { clock, banned, score } = setup()
    for (let i = 0; i < 20; i++) {
      score.penalize('p1', 'malformed-message', 'odd')
      clock.now += SCORE_HALF_LIFE_MS
    }
    expect(banned).toEqual([])
    expect(score.score('p1')).toBeCloseTo(-MALFORMED_MESSAGE_PENALTY, 0)
  })

  it('a burst within the rate passes, a flood of updates is refused without penalty', () => {
    const { score } = setup()
    for (let i = 0; i < UPDATE_BURST; i++) expect(score.tryAdmit('p1', 'updates')).toBe(true)
    expect(score.tryAdmit('p1', 'updates')).toBe(false)
    expect(score.tryAdmit('p2', 'updates')).toBe(true)
    expect(score.penalties).toBe(0)
  })

  it('requests over the rate wait for their slot; a flood is refused with ERR_RATE_LIMITED and penalized', async () => {
    const { score } = setup()
    for (let i = 0; i < BLOCK_REQUEST_BURST; i++) await score.admit('p1', 'blocks')
    // The clock is frozen: the debt grows until a request would wait longer than MAX_RATE_WAIT_MS.
    let refused: unknown
    for (let i = 0; i < 1_000 && refused == null; i++) {
      await Promise.race([score.admit('p1', 'blocks').catch((err: unknown) => { refused = err }), Promise.resolve()])
    }
    expect(refused).toMatchObject({ code: 'ERR_RATE_LIMITED' })
    expect(score.penalties).toBe(1)
  })

  it('faults an honest peer also makes are free within its allowance; one that keeps on pays each and is banned', () => {
    const { clock, banned, score } = setup()
    for (let i = 0; i < FAULT_BURST; i++) score.charge('p1', 'refused-request', 'unknown block')
    expect(score.penalties).toBe(0)
    expect(score.charges).toBe(FAULT_BURST)
    // The allowance refills: one miss a second, for ever, costs nothing.
    for (let i = 0; i < 100; i++) {
      clock.now += 1_000 / FAULTS_PER_SECOND
      score.charge('p1', 'refused-request', 'unknown block')
    }
    expect(score.penalties).toBe(0)
    expect(banned).toEqual([])
    // Past the allowance each costs its penalty, until the ban.
    score.charge('p1', 'refused-request', 'unknown block')
    expect(score.score('p1')).toBe(-REFUSED_REQUEST_PENALTY)
    for (let i = 0; i < -BAN_SCORE / STREAM_FLOOD_PENALTY && banned.length === 0; i++) score.charge('p1', 'stream-flood', 'too many streams')
    expect(banned).toEqual(['p1'])
    // Another peer's allowance is its own.
    score.charge('p2', 'stream-flood', 'too many streams')
    expect(score.score('p2')).toBe(0)
  })

  it('what it remembers stays bounded under a flood of fresh identities, and bans still hold', () => {
    const { score, denyList } = setup()
    for (let i = 0; i < 3 * MAX_TRACKED_PEERS; i++) {
      score.penalize(`sybil-${i}`, 'malformed-message', 'garbage')
      score.tryAdmit(`sybil-${i}`, 'updates')
    }
    expect(score.remembered).toBeLessThanOrEqual(2 * MAX_TRACKED_PEERS)
    // The latest offenders are still remembered.
    expect(score.score(`sybil-${3 * MAX_TRACKED_PEERS - 1}`)).toBe(-MALFORMED_MESSAGE_PENALTY)
    for (let i = 0; i <= MAX_DENIED_PEERS + 10; i++) denyList.deny(`banned-${i}`, BAN_DURATION_MS)
    expect(denyList.entries().length).toBeLessThanOrEqual(MAX_DENIED_PEERS)
    expect(denyList.isDenied(`banned-${MAX_DENIED_PEERS + 10}`)).toBe(true)
  })
})
