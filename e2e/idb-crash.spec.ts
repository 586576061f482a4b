import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import config from '../playwright.config.js'
import { launchOwnChromium, seededRandom } from './fixtures/own-chromium.js'

/*
 * IndexedDB under a browser crash: a page writes through the real client (page → SharedWorker →
 * IndexedDB) as fast as it can while the test SIGKILLs Chromium's whole process group at a seeded
 * random moment, then reopens the same profile. The store commits with `durability: 'strict'`
 * (src/store/idb-store.ts), so an acknowledged write is on disk before its promise resolves.
 * KILN_CRASH_ROUNDS and KILN_CRASH_SEED run it longer or replay a failure.
 */
const ROUNDS = Number(process.env.KILN_CRASH_ROUNDS ?? 6)
const SEED = Number(process.env.KILN_CRASH_SEED ?? 20261201)
const WRITERS = 4
/** Updates per document before a writer starts the next one. */
const UPDATES_PER_DOC = 3
const baseURL = config.use?.baseURL as string

/** One write the page started (intent) or saw resolve (ack): `content` is what the stream holds after it. */
interface Write { w: number, seq: number, kind: 'create' | 'update', id?: string, tip?: string, content: Doc }
interface Doc { w: number, seq: number, phase: 'created' | 'updated' }

const schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: { w: { type: 'integer' }, seq: { type: 'integer' }, phase: { type: 'string', maxLength: 16 } },
  required: ['w', 'seq', 'phase']
}

async function openNode (page: Page): Promise<void> {
  await page.goto(`${baseURL}/e2e/pages/app.html?node=idb-crash`)
  await expect(page.locator('#status')).toHaveText('ready', { timeout: 20_000 })
}

/** In the page: WRITERS loops creating documents and updating each UPDATES_PER_DOC times, reporting every step. */
async function startWriters (page: Page, model: string, firstSeq: number): Promise<void> {
  await page.evaluate(({ model, firstSeq, writers, updates }) => {
    const w = window as unknown as { kilnIntent: (write: unknown) => Promise<void>, kilnAck: (write: unknown) => Promise<void> }
    const kiln = window.kiln!
    const loop = async (writer: number): Promise<void> => {
      for (let seq = firstSeq; ; ) {
        const content = { w: writer, seq: seq++, phase: 'created' }
        await w.kilnIntent({ w: writer, seq: content.seq, kind: 'create', content })
        const created = await kiln.create({ type: 'MID', model, content })
        await w.kilnAck({ w: writer, seq: content.seq, kind: 'create', id: created.id, tip: created.tip, content })
        for (let u = 0; u < updates; u++) {
          const next = { w: writer, seq: seq++, phase: 'updated' }
          await w.kilnIntent({ w: writer, seq: next.seq, kind: 'update', id: created.id, content: next })
          const updated = await kiln.update(created.id, { content: next })
          await w.kilnAck({ w: writer, seq: next.seq, kind: 'update', id: created.id, tip: updated.tip, content: next })
        }
      }
    }
    for (let i = 0; i < writers; i++) void loop(i)
  }, { model, firstSeq, writers: WRITERS, updates: UPDATES_PER_DOC })
}

interface Found {
  /** Every document of the Model, by a full query. */
  docs: Array<{ id: string, tip: string, content: Doc }>
  count: number
  /** Field queries against the documents' own content: mismatching ids per query. */
  indexMismatches: string[]
  /** Streams whose tip's chain does not replay from the stored commits, with why. */
  brokenChains: string[]
  /** Acknowledged writes whose version (CommitID at the acked tip) is missing or holds other content. */
  lost: string[]
}

/** In the page: reads everything back, checking chains and indexes; `acks` are checked at their own CommitIDs. */
async function readBack (page: Page, model: string, acks: Write[]): Promise<Found> {
  return await page.evaluate(async ({ model, acks }) => {
    const kiln = window.kiln!
    const all = async (query: Parameters<typeof kiln.query>[0]): Promise<Array<{ id: string, tip: string, content: unknown }>> => {
      const items = []
      for (let cursor: string | undefined; ;) {
        const page = await kiln.query(query, { limit: 200, cursor })
        items.push(...page.items.map((s) => ({ id: s.id, tip: s.tip, content: s.content })))
        if (page.cursor == null) return items
        cursor = page.cursor
      }
    }
    const docs = await all({ model }) as Found['docs']
    const indexMismatches: string[] = []
    const compare = async (label: string, where: Record<string, string | number>, expected: string[]): Promise<void> => {
      const got = (await all({ model, where })).map((d) => d.id).sort()
      const counted = await kiln.count({ model, where })
      if (JSON.stringify(got) !== JSON.stringify([...expected].sort()) || counted !== expected.length) {
        indexMismatches.push(`${label}: query ${got.length}, count ${counted}, documents ${expected.length}`)
      }
    }
    for (const phase of ['created', 'updated']) await compare(`phase=${phase}`, { phase }, docs.filter((d) => d.content.phase === phase).map((d) => d.id))
    for (const w of new Set(docs.map((d) => d.content.w))) await compare(`w=${w}`, { w }, docs.filter((d) => d.content.w === w).map((d) => d.id))

    const brokenChains: string[] = []
    const commitIds = new Map<string, string>() // "id tip" → CommitID
    for (const doc of docs) {
      try {
        const snap = await kiln.load(doc.id)
        const history = await kiln.history(doc.id)
        if (snap.tip !== doc.tip || history.at(-1)?.cid !== snap.tip) throw new Error('the query, load and history disagree on the tip')
        // Every commit of the chain has its stored record; the version before the tip replays from blocks.
        if (history.some((h) => h.receivedAt == null)) throw new Error('a commit of the chain has no stored record')
        if (history.length > 1) {
          const before = await kiln.load(history[history.length - 2].commitId)
          if (JSON.stringify(before.log.map((e) => e.cid)) !== JSON.stringify(snap.log.slice(0, -1).map((e) => e.cid))) throw new Error('the chain before the tip replays differently')
        }
        for (const h of history) commitIds.set(`${doc.id} ${h.cid}`, h.commitId)
      } catch (err) {
        brokenChains.push(`${doc.id}: ${(err as { code?: string }).code ?? ''} ${(err as Error).message}`)
      }
    }
    const lost: string[] = []
    for (const ack of acks) {
      const commitId = commitIds.get(`${ack.id} ${ack.tip}`)
      if (commitId == null) { lost.push(`w${ack.w} seq ${ack.seq}: ${ack.id} at ${ack.tip} is not in its stream's chain`); continue }
      const version = await kiln.load(commitId).catch((err: Error) => ({ content: err.message }))
      if (JSON.stringify(version.content) !== JSON.stringify(ack.content)) lost.push(`w${ack.w} seq ${ack.seq}: holds ${JSON.stringify(version.content)}`)
    }
    return { docs, count: await kiln.count({ model }), indexMismatches, brokenChains, lost }
  }, { model, acks })
}

test('IndexedDB keeps every acknowledged write when Chromium is SIGKILLed mid-write, with no half tip or index', async () => {
  test.setTimeout(60_000 + ROUNDS * 25_000)
  const profile = mkdtempSync(join(tmpdir(), 'kiln-idb-crash-'))
  const random = seededRandom(SEED)
  // What must survive every later crash: acknowledged writes, and unacknowledged ones found stored.
  const kept: Write[] = []
  let acknowledged = 0
  let lastIntents: Write[] = []
  let model = ''
  let unackedFound = 0
  let unackedMissing = 0
  try {
    for (let round = 0; round <= ROUNDS; round++) {
      const chrome = await launchOwnChromium(profile)
      const page = await chrome.context.newPage()
      const intents = new Map<number, Write>() // per writer: the write started and not yet acknowledged
      const roundAcks: Write[] = []
      await page.exposeFunction('kilnIntent', (write: Write) => { intents.set(write.w, write) })
      await page.exposeFunction('kilnAck', (write: Write) => { intents.delete(write.w); roundAcks.push(write) })
      await openNode(page)
      if (round === 0) {
        model = await page.evaluate(async (schema) => {
          const created = await window.kiln!.create({ type: 'model', content: { version: '2.0', name: 'CrashDoc', interface: false, implements: [], accountRelation: { type: 'list' }, schema } })
          await window.kiln!.indexModel(created.id, [['phase'], ['w']])
          return created.id
        }, schema)
      } else {
        // After a crash: the last round's acknowledged writes (all of them after the final round).
        const found = await readBack(page, model, round === ROUNDS ? kept : kept.filter((a) => a.seq >= (round - 1) * 1_000_000))
        expect(found.lost).toEqual([])
        expect(found.brokenChains).toEqual([])
        expect(found.indexMismatches).toEqual([])
        expect(found.count).toBe(found.docs.length)
        // Each stream holds its last acknowledged write or the one in flight after it: nothing else.
        const byId = new Map(found.docs.map((d) => [d.id, d]))
        const lastAcked = new Map<string, Write>()
        for (const a of kept) lastAcked.set(a.id as string, a)
        for (const [id, a] of lastAcked) {
          const doc = byId.get(id)
          expect(doc, `stream ${id} of w${a.w} is in the Model's index`).toBeDefined()
          const inflight = lastIntents.find((i) => i.kind === 'update' && i.id === id)
          expect([JSON.stringify(a.content), JSON.stringify(inflight?.content)]).toContain(JSON.stringify(doc?.content))
        }
        // Documents no acknowledged create made: only in-flight creates may have landed.
        const ackedIds = new Set(kept.filter((a) => a.kind === 'create').map((a) => a.id))
        const extra = found.docs.filter((d) => !ackedIds.has(d.id))
        for (const d of extra) {
          const intent = lastIntents.find((i) => i.kind === 'create' && i.w === d.content.w && i.seq === d.content.seq)
          expect(intent, `document ${d.id} (${JSON.stringify(d.content)}) was never started`).toBeDefined()
          kept.push({ ...(intent as Write), id: d.id, tip: d.tip }) // it exists now: from here on it must stay
        }
        for (const intent of lastIntents) {
          const landed = intent.kind === 'create'
            ? extra.some((d) => d.content.w === intent.w && d.content.seq === intent.seq)
            : JSON.stringify(byId.get(intent.id as string)?.content) === JSON.stringify(intent.content)
          if (landed) unackedFound++
          else unackedMissing++
          if (landed && intent.kind === 'update') kept.push({ ...intent, tip: byId.get(intent.id as string)?.tip })
        }
      }
      if (round === ROUNDS) { await chrome.browser.close(); await chrome.kill(); break }

      await startWriters(page, model, round * 1_000_000)
      await expect.poll(() => roundAcks.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(20)
      await page.waitForTimeout(Math.floor(random() * 2_000))
      await chrome.kill()
      expect(chrome.survivors()).toBe(0)
      kept.push(...roundAcks)
      acknowledged += roundAcks.length
      lastIntents = [...intents.values()]
    }
  } finally {
    rmSync(profile, { recursive: true, force: true })
  }
  const unacked = unackedFound + unackedMissing
  console.log(`idb-crash: ${ROUNDS} rounds, ${acknowledged} acknowledged, 0 lost, ${unacked} unacknowledged (${unackedFound} found/${unackedMissing} not found) (seed ${SEED})`)
})
