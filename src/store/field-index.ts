import type { FieldCondition, FieldFilter, IndexDefinition, IndexValue, StreamQuery } from '../api/types.js'
import { InvalidInputError, NotIndexedError } from '../errors.js'

/**
 * Field indexes of Model documents, shared by every store (memory, disk, IndexedDB): how an entry's
 * key is encoded, which keys a stream record has, and how a query becomes key ranges of one index.
 *
 * An entry's key is `model \0 index-name \0 enc(v1) enc(v2) … order`: the values of the index's
 * fields in the record, then the record's order key (creation time, id). `enc` preserves order
 * (null < false < true < numbers < strings) and is prefix-free (every value ends with \0, and \0
 * and \1 inside strings are escaped), so equal leading values are one contiguous key range and
 * plain string comparison sorts entries as the values sort.
 */

/** The indexed values of a stream, by path. An array field holds each of its elements. */
export type IndexedFields = Record<string, IndexValue | IndexValue[]>

/** Paths that are not content: `$controller` is the document's account. */
export const CONTROLLER_PATH = '$controller'

/** Entries for one record and index at most (an index on two array fields multiplies). */
const MAX_ENTRIES_PER_INDEX = 64
/** Strings are cut to this many characters in keys; matches are always checked on the full value. */
const MAX_KEY_STRING = 256

const SEP = '\u0000'
const TAG = { null: 'a', false: 'b', true: 'c', number: 'd', string: 'e' } as const

export function indexName (fields: string[]): string {
  return fields.join(',')
}

export function sameIndex (a: IndexDefinition, b: IndexDefinition): boolean {
  return a.model === b.model && indexName(a.fields) === indexName(b.fields)
}

function encodeNumber (n: number): string {
  const view = new DataView(new ArrayBuffer(8))
  view.setFloat64(0, n === 0 ? 0 : n) // -0 sorts as 0
  const high = view.getUint32(0)
  const low = view.getUint32(4)
  // Positive: flip the sign bit; negative: flip every bit. The bytes then sort as the numbers do.
  const [h, l] = (high & 0x80000000) !== 0 ? [~high >>> 0, ~low >>> 0] : [(high | 0x80000000) >>> 0, low]
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0')
}

/** One value's part of a key; ends with \0. */
export function encodeValue (value: IndexValue): string {
  if (value === null) return TAG.null + SEP
  if (value === false) return TAG.false + SEP
  if (value === true) return TAG.true + SEP
  if (typeof value === 'number') return TAG.number + encodeNumber(value) + SEP
  const cut = value.length > MAX_KEY_STRING ? value.slice(0, MAX_KEY_STRING) : value
  return TAG.string + cut.replace(/\u0001/g, '\u0001\u0002').replace(/\u0000/g, '\u0001\u0001') + SEP
}

/** The first key after every key that starts with `prefix` (which ends with \0). */
export function afterPrefix (prefix: string): string {
  return prefix.slice(0, -1) + '\u0001'
}

export function indexPrefix (definition: IndexDefinition): string {
  return definition.model + SEP + indexName(definition.fields) + SEP
}

function valuesOf (fields: IndexedFields | undefined, path: string): IndexValue[] {
  const value = fields?.[path]
  if (Array.isArray(value)) return value.length === 0 ? [null] : [...new Set(value)]
  return [value ?? null]
}

/** Every key a record has in one index (the record's order key ends each). */
export function entryKeys (definition: IndexDefinition, fields: IndexedFields | undefined, order: string): string[] {
  let keys = [indexPrefix(definition)]
  for (const path of definition.fields) {
    const parts = valuesOf(fields, path).map(encodeValue)
    keys = keys.flatMap((key) => parts.map((part) => key + part)).slice(0, MAX_ENTRIES_PER_INDEX)
  }
  return keys.map((key) => key + order)
}

/** A key range of an index: `lower` inclusive, `upper` exclusive. */
export interface KeyRange { lower: string, upper: string }

/**
 * How a query is read: key ranges of one index (several for an `in`), each ordered the same way
 * after its first `prefixLength` characters, so pages of all ranges merge by that suffix.
 */
export interface FieldPlan {
  index: IndexDefinition
  ranges: Array<KeyRange & { prefix: string }>
  reverse: boolean
  /** How many leading fields of the index the query pins to values. */
  pinned: number
  /** True when the ranges hold exactly the matching entries (no condition left to check on records). */
  exact: boolean
}

const RANGE_OPS = ['lessThan', 'lessThanOrEqualTo', 'greaterThan', 'greaterThanOrEqualTo'] as const
const FILTER_OPS = new Set<string>(['equalTo', 'notEqualTo', 'in', 'notIn', ...RANGE_OPS, 'isNull'])
/** An `in` on several fields multiplies ranges; beyond this many the query is refused. */
const MAX_RANGES = 64

function asFilter (condition: FieldCondition): FieldFilter {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) return { equalTo: condition as IndexValue }
  return condition
}

/** The one value a condition pins a field to, if it does (`equalTo`, or `isNull: true`). */
function pinnedValues (filter: FieldFilter): IndexValue[] | undefined {
  if (filter.equalTo !== undefined) return [filter.equalTo]
  if (filter.isNull === true) return [null]
  if (filter.in != null) return filter.in
  return undefined
}

function isIndexValue (value: unknown): value is IndexValue {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
}

// Conditions may come straight from JSON (a query string, a page): a value of the wrong kind must
// be refused here, before a key is encoded from it.
function assertValidWhere (where: Record<string, FieldCondition>): void {
  for (const [path, condition] of Object.entries(where)) {
    if (Array.isArray(condition)) throw new InvalidInputError(`The condition on ${path} is a list; use { in: [...] }`, { path })
    const filter = asFilter(condition)
    for (const op of Object.keys(filter)) {
      if (!FILTER_OPS.has(op)) throw new InvalidInputError(`Unknown condition ${op} on ${path}; use one of ${[...FILTER_OPS].join(', ')}`, { path, op })
    }
    for (const op of ['equalTo', 'notEqualTo'] as const) {
      if (filter[op] !== undefined && !isIndexValue(filter[op])) throw new InvalidInputError(`${op} on ${path} needs a string, number, boolean or null`, { path, op })
    }
    for (const op of ['in', 'notIn'] as const) {
      const list = filter[op]
      if (list != null && (!Array.isArray(list) || !list.every(isIndexValue))) throw new InvalidInputError(`${op} on ${path} needs a list of strings, numbers, booleans or nulls`, { path, op })
    }
    if (filter.isNull !== undefined && typeof filter.isNull !== 'boolean') throw new InvalidInputError(`isNull on ${path} needs true or false`, { path })
    for (const op of RANGE_OPS) {
      const bound = filter[op]
      if (bound != null && typeof bound !== 'number' && typeof bound !== 'string') throw new InvalidInputError(`${op} on ${path} needs a number or a string`, { path })
    }
    if (filter.in != null && (!Array.isArray(filter.in) || filter.in.length === 0)) throw new InvalidInputError(`in on ${path} needs a non-empty list`, { path })
    // Each value is a key range of its own; past this many, a query would read like a scan.
    if (filter.in != null && filter.in.length > MAX_RANGES) throw new InvalidInputError(`in on ${path} takes at most ${MAX_RANGES} values`, { path, values: filter.in.length })
  }
}

/** Bounds one field's range conditions put on keys that start with `prefix`. */
function fieldRange (prefix: string, filter: FieldFilter): KeyRange {
  const bounds = RANGE_OPS.map((op) => filter[op]).filter((b) => b != null)
  // A range stays within its bound's type: `greaterThan: 3` never reaches strings.
  const tag = bounds.length === 0 ? undefined : (typeof bounds[0] === 'number' ? TAG.number : TAG.string)
  let lower = tag == null ? prefix : prefix + tag
  let upper = tag == null ? afterPrefix(prefix) : prefix + String.fromCharCode(tag.charCodeAt(0) + 1)
  const raise = (key: string): void => { if (key > lower) lower = key }
  const cap = (key: string): void => { if (key < upper) upper = key }
  if (filter.greaterThanOrEqualTo != null) raise(prefix + encodeValue(filter.greaterThanOrEqualTo))
  if (filter.greaterThan != null) raise(afterPrefix(prefix + encodeValue(filter.greaterThan)))
  if (filter.lessThan != null) cap(prefix + encodeValue(filter.lessThan))
  if (filter.lessThanOrEqualTo != null) cap(afterPrefix(prefix + encodeValue(filter.lessThanOrEqualTo)))
  if (filter.isNull === false) raise(afterPrefix(prefix + encodeValue(null)))
  return { lower, upper }
}

/**
 * Picks the index that serves a query best: the most leading fields pinned by `where`, then a
 * range on the next one, and the query's sort (if any) as the fields after the pinned ones.
 * Refuses (ERR_NOT_INDEXED) a condition or sort that no declared index of the Model holds.
 */
export function planFieldQuery (query: StreamQuery, indexes: IndexDefinition[]): FieldPlan {
  const where = query.where ?? {}
  const sort = Object.entries(query.sort ?? {})
  if (query.model == null) throw new InvalidInputError('A query on content fields needs its model')
  assertValidWhere(where)
  for (const [path, direction] of sort) {
    if (direction !== 'asc' && direction !== 'desc') throw new InvalidInputError(`Sort ${path} must be 'asc' or 'desc'`, { path })
  }
  const own = indexes.filter((d) => d.model === query.model)
  const known = new Set(own.flatMap((d) => d.fields))
  const missing = [...Object.keys(where), ...sort.map(([path]) => path)].filter((path) => !known.has(path))
  if (missing.length > 0) {
    throw new NotIndexedError(`No index of model ${query.model} holds ${missing.join(', ')}: declare one with indexModel`, { model: query.model, fields: missing })
  }
  const reverse = sort.length > 0 && sort[0][1] === 'desc'
  if (sort.some(([, direction]) => (direction === 'desc') !== reverse)) throw new InvalidInputError('Every sort field must go the same way (all asc or all desc)')

  let best: { plan: FieldPlan, score: number } | undefined
  for (const index of own) {
    const plan = planOn(index, where, sort.map(([path]) => path), reverse)
    if (plan != null && (best == null || plan.score > best.score)) best = plan
  }
  if (best == null) {
    const wanted = sort.map(([path]) => path)
    throw new NotIndexedError(`No index of model ${query.model} sorts by ${wanted.join(', ')} after the fields the query pins; declare one such as [${[...Object.keys(where), ...wanted].join(', ')}]`,
      { model: query.model, sort: wanted })
  }
  return best.plan
}

function planOn (index: IndexDefinition, where: Record<string, FieldCondition>, sort: string[], reverse: boolean): { plan: FieldPlan, score: number } | undefined {
  let prefixes = [indexPrefix(index)]
  let pinned = 0
  for (const path of index.fields) {
    const values = path in where ? pinnedValues(asFilter(where[path])) : undefined
    if (values == null || sort.includes(path)) break
    prefixes = prefixes.flatMap((p) => values.map((v) => p + encodeValue(v)))
    if (prefixes.length > MAX_RANGES) return undefined
    pinned++
  }
  // The sort must be exactly the index's next fields (then every range reads in sort order).
  const next = index.fields.slice(pinned, pinned + sort.length)
  if (sort.length > 0 && (next.length < sort.length || next.some((path, i) => path !== sort[i]))) return undefined
  const rangePath = index.fields[pinned]
  const rangeFilter = rangePath != null && rangePath in where ? asFilter(where[rangePath]) : undefined
  const ranges = prefixes.map((prefix) => ({ prefix, ...(rangeFilter == null ? { lower: prefix, upper: afterPrefix(prefix) } : fieldRange(prefix, rangeFilter)) }))
  // More pinned fields and a range narrow the read; fewer `in` ranges and a shorter index are cheaper.
  const score = pinned * 100 + (rangeFilter == null ? 0 : 50) - ranges.length - index.fields.length
  const exact = Object.entries(where).every(([path, condition]) => {
    const filter = asFilter(condition)
    const values = [filter.equalTo, ...(filter.in ?? []), ...RANGE_OPS.map((op) => filter[op])]
    if (values.some((v) => typeof v === 'string' && v.length > MAX_KEY_STRING)) return false
    const ops = Object.keys(filter).filter((op) => filter[op as keyof FieldFilter] !== undefined)
    const at = index.fields.indexOf(path)
    if (at >= 0 && at < pinned) return ops.length === 1
    return path === rangePath && ops.every((op) => (RANGE_OPS as readonly string[]).includes(op) || (op === 'isNull' && filter.isNull === false))
  })
  return { plan: { index, ranges, reverse, pinned, exact }, score }
}

function compare (a: IndexValue, b: number | string): number | undefined {
  if (typeof a !== typeof b) return undefined
  return a === b ? 0 : (a as number | string) < b ? -1 : 1
}

function valueMatches (value: IndexValue, filter: FieldFilter): boolean {
  if (filter.equalTo !== undefined && value !== filter.equalTo) return false
  if (filter.notEqualTo !== undefined && value === filter.notEqualTo) return false
  if (filter.in != null && !filter.in.includes(value)) return false
  if (filter.notIn?.includes(value) === true) return false
  if (filter.isNull === true && value !== null) return false
  if (filter.isNull === false && value === null) return false
  const check = (bound: number | string | undefined, ok: (c: number) => boolean): boolean => {
    if (bound == null) return true
    const c = compare(value, bound)
    return c != null && ok(c)
  }
  return check(filter.lessThan, (c) => c < 0) && check(filter.lessThanOrEqualTo, (c) => c <= 0) &&
    check(filter.greaterThan, (c) => c > 0) && check(filter.greaterThanOrEqualTo, (c) => c >= 0)
}

/**
 * Whether a record's fields meet every condition (an array field: any element). Run on every entry
 * an index range yields: it settles conditions the range does not narrow and cut-off long strings.
 */
export function matchesWhere (fields: IndexedFields | undefined, where: Record<string, FieldCondition> | undefined): boolean {
  for (const [path, condition] of Object.entries(where ?? {})) {
    const filter = asFilter(condition)
    const values = valuesOf(fields, path)
    const negative = filter.notEqualTo !== undefined || filter.notIn != null
    // `notEqualTo` on an array field means no element equals it.
    if (negative && values.some((v) => !valueMatches(v, { notEqualTo: filter.notEqualTo, notIn: filter.notIn }))) return false
    const positive: FieldFilter = { ...filter, notEqualTo: undefined, notIn: undefined }
    if (!values.some((v) => valueMatches(v, positive))) return false
  }
  return true
}

/** The stream id an entry key ends with (its order key is `<time>:<id>`). */
export function idOfKey (key: string): string {
  const order = key.slice(key.lastIndexOf(SEP) + 1)
  return order.slice(order.indexOf(':') + 1)
}

/** Whether a query is one for the field indexes (conditions or order on content). */
export function usesFields (query: StreamQuery): boolean {
  return Object.keys(query.where ?? {}).length > 0 || Object.keys(query.sort ?? {}).length > 0
}
