import { expect, it } from 'vitest'
import { base36Encode } from '../../src/ids/base36.js'
import { decodeEventId } from '../../src/ids/event-id.js'
import { CommitID, StreamID, parseStreamRef } from '../../src/ids/index.js'
import { createStreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createReconIndex } from '../../src/sync/recon-index.js'
import { EVENT_ID_MAX, EVENT_ID_MIN } from '../../src/ids/event-id.js'
import { fuzzRuns, mutateBytes, runFuzz } from '../fixtures/fuzz.js'
import { kilnSigner } from '../fixtures/identities.js'

/**
 * StreamIDs, CommitIDs and EventIds as bytes and as strings (what HTTP paths, gossip messages,
 * heads pages and Recon keys carry) into their parsers: each input parses or is an InvalidIdError.
 */
const RUNS = fuzzRuns(1_000)

it(`${RUNS} mutated StreamIDs, CommitIDs and EventIds parse or are refused typed`, async () => {
  const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
  const tile = await node.create({ content: { n: 1 } })
  const updated = await node.update(tile.id, { content: { n: 2 } })
  const index = createReconIndex({ node, log: () => {} })
  await index.idle()
  const eventIds = index.list(EVENT_ID_MIN, EVENT_ID_MAX, 4).map((e) => e.key)
  await node.close()
  const refs = [StreamID.fromString(tile.id).bytes, CommitID.fromString(updated.commitId).bytes]
  const samples = [...refs, ...eventIds]
  const result = await runFuzz({
    name: 'ids',
    runs: RUNS,
    input (rng) {
      const bytes = mutateBytes(rng, rng.pick(samples), samples)
      const kind = rng.pick(['stream ref bytes', 'stream ref text', 'event id'] as const)
      if (kind !== 'stream ref text') return { kind, bytes }
      // As a string: base36 with its multibase prefix, sometimes with an edited character.
      let text = `k${base36Encode(bytes)}`
      if (rng.chance(0.3)) { const at = rng.int(text.length); text = text.slice(0, at) + rng.pick(['0', 'z', 'K', '', '/', 'é']) + text.slice(at + 1) }
      return { kind, bytes, text }
    },
    async run ({ kind, bytes, text }) {
      if (kind === 'event id') return decodeEventId(bytes)
      return parseStreamRef(kind === 'stream ref text' ? text as string : bytes)
    },
    show: ({ kind, bytes, text }) => `${kind} ${text ?? Buffer.from(bytes).toString('hex')}`
  })
  expect(result.failures).toEqual([])
  expect(result.figures.refusedTyped).toBeGreaterThan(RUNS / 2)
})
