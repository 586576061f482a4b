import { base64url } from 'multiformats/bases/base64'
import type { Page, PageRequest, StreamQuery } from '../api/types.js'
import { InvalidInputError } from '../errors.js'
import { type FieldPlan, type KeyRange, entryKeys, idOfKey, matchesWhere } from './field-index.js'
import { matches, orderKey, pageSize, type QueriedRecord, type StreamRecord } from './store.js'

/** What a store gives the field-query reader: ordered keys of its field-index table, and records. */
export interface FieldIndexReader {
  /** Keys in `[lower, upper)`, ascending (descending when `reverse`), at most `limit`. */
  keys: (range: KeyRange, limit: number, reverse: boolean) => Promise<string[]>
  /** How many keys are in `[lower, upper)`. */
  count: (range: KeyRange) => Promise<number>
  records: (ids: string[]) => Promise<Array<StreamRecord | undefined>>
  /**
   * Keys in range with their records, in one read: a store whose index holds the records (IndexedDB's
   * multi-entry index on the rows) gives this; without it, `keys` then `records`.
   */
  entries?: (range: KeyRange, limit: number, reverse: boolean) => Promise<IndexEntry[]>
  /** The record id of every key in range, read without the records (what an exact count needs). */
  ids?: (range: KeyRange) => Promise<string[]>
}

export interface IndexEntry { key: string, record: QueriedRecord | undefined }

async function readEntries (reader: FieldIndexReader, range: KeyRange, limit: number, reverse: boolean): Promise<IndexEntry[]> {
  if (reader.entries != null) return await reader.entries(range, limit, reverse)
  const keys = await reader.keys(range, limit, reverse)
  const records = await reader.records(keys.map(idOfKey))
  return keys.map((key, i) => ({ key, record: records[i] }))
}

interface Source {
  prefix: string
  /** The plan's range, whole: a document shows at its first key in it, in reading order. */
  whole: KeyRange
  /** What is left to read of it. */
  range: KeyRange
  /** Matching records read ahead, in index order, with their key after `prefix`. */
  buffer: Array<{ suffix: string, record: QueriedRecord }>
  done: boolean
  chunk: number
}

const MAX_CHUNK = 1000

/** A page of a field query: each of the plan's ranges read in order, merged by the keys' common suffix. */
export async function readFieldQuery (plan: FieldPlan, query: StreamQuery, page: PageRequest, reader: FieldIndexReader): Promise<Page<QueriedRecord>> {
  const limit = pageSize(page)
  const after = page.cursor == null ? undefined : fromCursor(page.cursor)
  const sources: Source[] = plan.ranges.map((r) => ({ prefix: r.prefix, whole: r, range: afterCursor(r, after, plan.reverse), buffer: [], done: false, chunk: limit + 1 }))
  const items: QueriedRecord[] = []
  let last: string | undefined
  for (;;) {
    await Promise.all(sources.map(async (source) => { await fill(source, plan, query, reader) }))
    const next = pickNext(sources, plan.reverse)
    if (next == null) return { items }
    if (items.length === limit) return { items, cursor: toCursor(last as string) }
    const { suffix, record } = next.buffer.shift() as Source['buffer'][number]
    // An `in` over an array field finds one document through several ranges at the same place.
    if (suffix === last) continue
    items.push(record)
    last = suffix
  }
}

/** How many documents a field query matches: counted in the index when its ranges say it exactly. */
export async function countFieldQuery (plan: FieldPlan, query: StreamQuery, reader: FieldIndexReader): Promise<number> {
  const pinnedAll = plan.ranges.length === 1 && plan.exact && plan.pinned === plan.index.fields.length
  if (pinnedAll && !hasBaseFilters(query)) return await reader.count(plan.ranges[0])
  const ids = new Set<string>()
  for (const range of plan.ranges) {
    if (plan.exact && !hasBaseFilters(query) && reader.ids != null) {
      for (const id of await reader.ids(range)) ids.add(id)
      continue
    }
    let lower = range.lower
    for (;;) {
      const chunk = { lower, upper: range.upper }
      let keys: string[]
      if (plan.exact && !hasBaseFilters(query)) {
        keys = await reader.keys(chunk, MAX_CHUNK, false)
        for (const key of keys) ids.add(idOfKey(key))
      } else {
        const entries = await readEntries(reader, chunk, MAX_CHUNK, false)
        keys = entries.map((e) => e.key)
        for (const { key, record } of entries) if (record != null && accepts(record, query)) ids.add(idOfKey(key))
      }
      if (keys.length < MAX_CHUNK) break
      lower = keys[keys.length - 1] + '\u0000'
    }
  }
  return ids.size
}

function hasBaseFilters (query: StreamQuery): boolean {
  return query.controller != null || query.family != null || query.schema != null
}

function accepts (record: StreamRecord, query: StreamQuery): boolean {
  return matches(record, query) && matchesWhere(record.fields, query.where)
}

// A cursor is the last key's suffix (its values and order key), which holds \0 separators: no
// command line, header or copied text carries those, so it leaves the store as base64url.
function toCursor (suffix: string): string {
  return base64url.baseEncode(new TextEncoder().encode(suffix))
}

function fromCursor (cursor: string): string {
  try {
    return new TextDecoder().decode(base64url.baseDecode(cursor))
  } catch (err) {
    throw new InvalidInputError('Not a cursor of a field query: pass back the cursor of the previous page', { cursor: cursor.slice(0, 100) }, { cause: err })
  }
}

/** A range with the keys up to the cursor (exclusive of it) cut off, in the reading direction. */
function afterCursor (range: KeyRange & { prefix: string }, cursor: string | undefined, reverse: boolean): KeyRange {
  if (cursor == null) return { lower: range.lower, upper: range.upper }
  const key = range.prefix + cursor
  if (reverse) return { lower: range.lower, upper: key < range.upper ? key : range.upper }
  const after = key + '\u0000' // the first key after `key`
  return { lower: after > range.lower ? after : range.lower, upper: range.upper }
}

/** Reads ahead until the source has a matching record or is exhausted. */
async function fill (source: Source, plan: FieldPlan, query: StreamQuery, reader: FieldIndexReader): Promise<void> {
  const reverse = plan.reverse
  while (source.buffer.length === 0 && !source.done) {
    if (source.range.lower >= source.range.upper) { source.done = true; return }
    const entries = await readEntries(reader, source.range, source.chunk, reverse)
    const lastKey = entries.at(-1)?.key as string
    if (entries.length < source.chunk) source.done = true
    else if (reverse) source.range = { lower: source.range.lower, upper: lastKey }
    else source.range = { lower: lastKey + '\u0000', upper: source.range.upper }
    source.chunk = Math.min(source.chunk * 2, MAX_CHUNK)
    for (const { key, record } of entries) {
      // A record that no longer matches was changed after its entry was read: it is skipped.
      if (record == null || !accepts(record, query) || key !== firstKey(plan, source.whole, record)) continue
      source.buffer.push({ suffix: key.slice(source.prefix.length), record })
    }
  }
}

/**
 * Where a document shows in a range: at its first key there in reading order. An array field gives
 * a document one key per element, and two in one range would show it twice, on one page or two.
 */
function firstKey (plan: FieldPlan, range: KeyRange, record: StreamRecord): string | undefined {
  const inRange = entryKeys(plan.index, record.fields, orderKey(record)).filter((k) => k >= range.lower && k < range.upper).sort()
  return plan.reverse ? inRange.at(-1) : inRange[0]
}

function pickNext (sources: Source[], reverse: boolean): Source | undefined {
  let best: Source | undefined
  for (const source of sources) {
    if (source.buffer.length === 0) continue
    if (best == null) { best = source; continue }
    const a = source.buffer[0].suffix
    const b = best.buffer[0].suffix
    if (reverse ? a > b : a < b) best = source
  }
  return best
}
