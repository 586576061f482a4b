import { expect, it } from 'vitest'
import * as dagCbor from '@ipld/dag-cbor'
import { InvalidInputError } from '../../src/errors.js'
import { createRelayClient } from '../../src/client/relay-client.js'
import { type RelayMessage, isRelayMessage } from '../../src/client/relay-protocol.js'
import { fuzzRuns, mutateValue, runFuzz } from '../fixtures/fuzz.js'

/**
 * Messages on the fallback relay's BroadcastChannel (relay-protocol.ts), which any script of the
 * origin can post to: each goes through the check fallback.ts applies (isRelayMessage) and, if it
 * passes, to a real relay client with calls waiting and a subscription open, as fallback.ts's
 * receive() hands it on. A message the check drops counts as refused (the test names it with an
 * InvalidInputError); nothing that passes may throw.
 */
const RUNS = fuzzRuns(800)
const ME = 'tab-b'
const LEADER = 'tab-a'
const snapshot = { id: 'kjzl6kcym7w8y', tip: 'bagcqcera', content: { n: 1 }, tips: ['bagcqcera'] }
const failure = { name: 'StreamNotFoundError', code: 'ERR_STREAM_NOT_FOUND', message: 'no such stream', details: { id: 'x' } }
const SAMPLES: RelayMessage[] = [
  { kind: 'ack', to: ME, from: LEADER, id: 1 },
  { kind: 'result', to: ME, from: LEADER, id: 2, value: { id: 'k', content: [1, 2] } },
  { kind: 'error', to: ME, from: LEADER, id: 3, error: failure },
  { kind: 'event', to: ME, from: LEADER, sub: 1, snapshot: snapshot as never },
  { kind: 'closed', to: ME, from: LEADER, error: failure },
  { kind: 'leader', from: 'tab-c', since: 2 },
  { kind: 'who', from: 'tab-c' },
  { kind: 'call', to: ME, from: 'tab-c', id: 1, method: 'load', args: ['k'] }
]

it(`${RUNS} mutated relay messages are dropped by the check or handled without a throw`, async () => {
  const result = await runFuzz({
    name: 'relay messages',
    runs: RUNS,
    input: (rng) => mutateValue(rng, dagCbor.decode(dagCbor.encode(rng.pick(SAMPLES)))),
    async run (value) {
      if (!isRelayMessage(value)) throw new InvalidInputError('Dropped: not a relay message')
      // A tab with calls waiting (ids 1 to 3) and a subscription (1), fresh for each message.
      const client = createRelayClient({ clientId: ME, send: () => {}, onListenerError: () => {} })
      client.leaderIs(LEADER, 1)
      for (const id of ['k1', 'k2', 'k3']) client.api.load(id).catch(() => {})
      client.api.subscribe('k1', () => {}).catch(() => {})
      // As fallback.ts's receive(): a follower has no leader half to hand a call to.
      if (value.kind === 'leader') client.leaderIs(value.from, value.since)
      else if (value.kind !== 'who' && value.kind !== 'call' && value.to === ME) client.handle(value)
      return value
    },
    show: (value) => JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? `${v}n` : v)
  })
  expect(result.failures).toEqual([])
  expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 10)
  // The samples themselves pass the check.
  expect(SAMPLES.every(isRelayMessage)).toBe(true)
})
