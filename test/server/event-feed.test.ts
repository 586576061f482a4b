import { describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStreamNode, type StreamNode } from '../../src/node/stream-node.js'
import { createMemoryStore } from '../../src/store/memory-store.js'
import { createEventFeed } from '../../src/server/event-feed.js'
import { kilnSigner } from '../fixtures/identities.js'

const feedFile = (): string => join(mkdtempSync(join(tmpdir(), 'kiln-feed-')), 'ceramic-feed.txt')

/** Two streams, one with three commits: every commit's CID and its prev. */
async function twoStreams (node: StreamNode): Promise<{ commits: Map<string, string | undefined>, a: string }> {
  const a = await node.create({ content: { n: 1 } })
  await node.update(a.id, { content: { n: 2 } })
  await node.update(a.id, { content: { n: 3 } })
  const b = await node.create({ content: { other: true } })
  const commits = new Map<string, string | undefined>()
  for (const id of [a.id, b.id]) for (const c of await node.commits(id)) commits.set(c.cid, c.prev)
  return { commits, a: a.id }
}

describe('event feed', () => {
  it('lists every stored commit once, each after its prev, and appends what arrives later', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    const { commits, a } = await twoStreams(node)
    const file = feedFile()
    const feed = createEventFeed(node, file)
    const page = await feed.read(0, 100)
    expect(new Set(page.events)).toEqual(new Set(commits.keys()))
    expect(page.events).toHaveLength(4)
    for (const [i, cid] of page.events.entries()) {
      const prev = commits.get(cid)
      if (prev != null) expect(page.events.indexOf(prev)).toBeLessThan(i)
    }
    expect(page.resumeToken).toBe('4')
    expect(readFileSync(file, 'utf8').trim().split('\n')).toEqual(page.events)

    const next = await node.update(a, { content: { n: 4 } })
    expect(await feed.read(4, 100)).toEqual({ events: [next.tip], resumeToken: '5' })
    expect(await feed.read(5, 100)).toEqual({ events: [], resumeToken: '5' })
    expect(await feed.read(2, 1)).toEqual({ events: [page.events[2]], resumeToken: '3' })
    expect(await feed.end()).toBe(5)
    feed.close()
  })

  it('keeps the positions a file already lists, drops a torn last line, and appends the commits it lacks', async () => {
    const node = createStreamNode({ store: createMemoryStore(), signer: await kilnSigner('alice') })
    await twoStreams(node)
    const file = feedFile()
    const first = createEventFeed(node, file)
    const listed = (await first.read(0, 100)).events
    first.close()

    // As if the server crashed while writing the third line.
    writeFileSync(file, `${listed[0]}\n${listed[1]}\n${listed[2].slice(0, 20)}`)
    const again = createEventFeed(node, file)
    const page = await again.read(0, 100)
    expect(page.events.slice(0, 2)).toEqual(listed.slice(0, 2))
    expect(new Set(page.events)).toEqual(new Set(listed))
    expect(page.events).toHaveLength(4)
    again.close()
    // The torn line stays in the file, ended, and is never read as an event.
    expect(readFileSync(file, 'utf8')).toBe([listed[0], listed[1], listed[2].slice(0, 20), ...page.events.slice(2)].join('\n') + '\n')
  })
})
