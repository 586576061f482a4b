import { describe, expect, it } from 'vitest'
import type { Logger } from '@libp2p/interface'
import {
  BAN_DURATION_MS, BLOCK_REQUEST_BURST, INVALID_COMMIT_PENALTY, MALFORMED_MESSAGE_PENALTY, SCORE_HALF_LIFE_MS, UPDATE_BURST
} from '../../src/sync/constants.js'
import { createDenyList, createPeerScore } from '../../src/sync/peer-score.js'

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
})
