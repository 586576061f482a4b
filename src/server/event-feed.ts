/**
 * ceramic-one's event feed over Kiln's store: every stored event (commit) once, in the order this
 * server first saw it, and a resume token that is a position in that order ("42": the first 42
 * events have been read), as ceramic-one's integer highwater mark.
 *
 * The order is kept in a file in the data dir, one CID per line, appended as commits are accepted,
 * so a token stays valid across restarts. Commits the file does not list yet (the file is new, or
 * `kiln import` wrote to the dir while the server was down) are appended when the feed is first
 * read, in a fixed order: acceptance time (never before the commit's `prev`), stream, depth, CID.
 * A commit always comes after its `prev`.
 */
import { appendFile, readFile } from 'node:fs/promises'
import { CID } from 'multiformats/cid'
import type { StreamNode } from '../node/stream-node.js'

export interface EventFeedPage {
  events: string[]
  resumeToken: string
}

export interface EventFeed {
  /** Events after position `from`, at most `limit`. */
  read: (from: number, limit: number) => Promise<EventFeedPage>
  /** The position after the last event: reading from it returns only what arrives later. */
  end: () => Promise<number>
  close: () => void
}

interface FeedCommit { cid: string, prev?: string, receivedAt: number }

export function createEventFeed (node: StreamNode, file: string): EventFeed {
  const order: string[] = []
  const listed = new Set<string>()
  // Every change to `order` and the file runs on this chain, one at a time, in arrival order.
  let chain: Promise<void> = Promise.resolve()
  let stopListening: (() => void) | undefined

  const serially = async (work: () => Promise<void>): Promise<void> => {
    const next = chain.then(work)
    chain = next.catch(() => {})
    await next
  }

  async function append (cids: string[]): Promise<void> {
    const fresh = cids.filter((cid) => !listed.has(cid))
    if (fresh.length === 0) return
    await appendFile(file, fresh.map((cid) => cid + '\n').join(''))
    for (const cid of fresh) { listed.add(cid); order.push(cid) }
  }

  async function unlisted (streamId: string): Promise<Array<FeedCommit & { stream: string, depth: number, at: number }>> {
    const commits = (await node.commits(streamId)).filter((c) => !listed.has(c.cid))
    return inStreamOrder(streamId, commits)
  }

  async function start (): Promise<void> {
    // Listen first, so nothing accepted during the scan is missed; the chain runs it after the scan.
    stopListening = node.onCommit((event) => {
      void serially(async () => { await append((await unlisted(event.id)).map((c) => c.cid)) })
        .catch(() => { /* appended on the next start: the store still has the commit */ })
    })
    const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return ''; throw err })
    // A crash can tear only the last line: one that is not a CID is dropped, and a newline ends it.
    if (text !== '' && !text.endsWith('\n')) await appendFile(file, '\n')
    for (const line of text.split('\n')) {
      if (isCid(line) && !listed.has(line)) { listed.add(line); order.push(line) }
    }
    const missing = []
    let cursor: string | undefined
    do {
      const page = await node.heads({}, cursor == null ? { limit: 1000 } : { limit: 1000, cursor })
      for (const heads of page.items) missing.push(...await unlisted(heads.id))
      cursor = page.cursor
    } while (cursor != null)
    missing.sort((a, b) => a.at - b.at || compare(a.stream, b.stream) || a.depth - b.depth || compare(a.cid, b.cid))
    await append(missing.map((c) => c.cid))
  }

  let started: Promise<void> | undefined
  const ready = async (): Promise<void> => {
    started ??= serially(start).catch((err: unknown) => {
      // Try again on the next read (a full disk may have room by then).
      stopListening?.()
      started = undefined
      throw err
    })
    await started
    await chain
  }

  return {
    async read (from, limit) {
      await ready()
      const events = order.slice(from, from + limit)
      return { events, resumeToken: String(Math.max(from, Math.min(from + events.length, order.length))) }
    },
    async end () {
      await ready()
      return order.length
    },
    close () { stopListening?.() }
  }
}

/** A stream's commits with their depth and an acceptance time never earlier than their prev's. */
function inStreamOrder (stream: string, commits: FeedCommit[]): Array<FeedCommit & { stream: string, depth: number, at: number }> {
  const byCid = new Map(commits.map((c) => [c.cid, c]))
  const placed = new Map<string, { depth: number, at: number }>()
  for (const commit of commits) {
    // Walk up to a placed (or outside) ancestor, then place the walked chain top-down; no recursion,
    // as a log may be 100,000 commits long.
    const chain: FeedCommit[] = []
    for (let c: FeedCommit | undefined = commit; c != null && !placed.has(c.cid); c = c.prev == null ? undefined : byCid.get(c.prev)) chain.push(c)
    for (const c of chain.reverse()) {
      const above = (c.prev == null ? undefined : placed.get(c.prev)) ?? { depth: -1, at: 0 }
      placed.set(c.cid, { depth: above.depth + 1, at: Math.max(c.receivedAt, above.at) })
    }
  }
  return commits
    .map((c) => ({ ...c, stream, ...placed.get(c.cid) as { depth: number, at: number } }))
    .sort((a, b) => a.at - b.at || a.depth - b.depth || compare(a.cid, b.cid))
}

function isCid (text: string): boolean {
  if (text === '') return false
  try {
    CID.parse(text)
    return true
  } catch {
    return false
  }
}

function compare (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
