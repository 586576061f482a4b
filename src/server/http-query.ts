/**
 * The query strings of the HTTP API's list routes, read into the node's StreamQuery and
 * PageRequest. Anyone on the network writes them, so every parameter is checked here and a bad
 * one is a typed ERR_INVALID_INPUT (a 400) naming it: an unknown or repeated parameter, JSON that
 * does not parse or is not an object, a limit that is not a page size, a query string too long.
 * What the conditions mean (filter names, value kinds, which index serves them) the store's
 * planner checks, for pages and servers alike (field-index.ts).
 */
import type { PageRequest, StreamQuery } from '../api/types.js'
import { InvalidInputError } from '../errors.js'
import { parseModelId } from '../ids/index.js'
import { MAX_PAGE_SIZE } from '../store/store.js'

/**
 * Longest query string accepted, in characters as sent. Room for an `in` of a hundred DIDs;
 * beyond it a query costs the server more to plan than it is worth. (A request head past
 * `HttpLimits.maxHeaderBytes`, 16 KiB by default, is a 431 before it gets here.)
 */
export const MAX_QUERY_STRING_CHARS = 8192

export interface ListRequest {
  query: StreamQuery
  page: PageRequest
}

const PAGE_PARAMS = ['limit', 'cursor'] as const
const FIELD_PARAMS = ['where', 'sort'] as const

/** `GET /models/:model/documents?where=&sort=&controller=&limit=&cursor=` */
export function modelDocumentsRequest (model: string, search: string): ListRequest {
  const params = readParams(search, ['controller', ...FIELD_PARAMS, ...PAGE_PARAMS])
  return { query: modelQuery(model, params), page: pageOf(params) }
}

/** `GET /models/:model/count?where=&controller=` */
export function modelCountQuery (model: string, search: string): StreamQuery {
  return modelQuery(model, readParams(search, ['controller', 'where']))
}

/** `GET /models/:model/indexes` takes no parameters: the Model's StreamID, checked. */
export function modelIndexesModel (model: string, search: string): string {
  readParams(search, [])
  return modelId(model)
}

/** `GET /streams?model=&controller=&family=&schema=&limit=&cursor=` */
export function streamsRequest (search: string): ListRequest {
  const params = readParams(search, ['model', 'controller', 'family', 'schema', ...PAGE_PARAMS])
  const model = params.get('model')
  const query: StreamQuery = {
    ...(model == null ? {} : { model: modelId(model) }),
    ...optional(params, 'controller'),
    ...optional(params, 'family'),
    ...optional(params, 'schema')
  }
  return { query, page: pageOf(params) }
}

function modelQuery (model: string, params: Map<string, string>): StreamQuery {
  const where = params.get('where')
  const sort = params.get('sort')
  return {
    model: modelId(model),
    ...optional(params, 'controller'),
    ...(where == null ? {} : { where: jsonObject(where, 'where') as StreamQuery['where'] }),
    ...(sort == null ? {} : { sort: jsonObject(sort, 'sort') as StreamQuery['sort'] })
  }
}

/** The parameters of a query string; an empty value counts as absent (as an empty form field). */
function readParams (search: string, allowed: readonly string[]): Map<string, string> {
  if (search.length > MAX_QUERY_STRING_CHARS) {
    throw new InvalidInputError(`The query string is too long (${search.length} characters; at most ${MAX_QUERY_STRING_CHARS})`, { length: search.length, max: MAX_QUERY_STRING_CHARS })
  }
  const params = new Map<string, string>()
  for (const [name, value] of new URLSearchParams(search)) {
    if (!allowed.includes(name)) {
      const known = allowed.length === 0 ? 'this route takes none' : `known: ${allowed.join(', ')}`
      throw new InvalidInputError(`Unknown query parameter "${name.slice(0, 100)}"; ${known}`, { parameter: name.slice(0, 100) })
    }
    if (params.has(name)) throw new InvalidInputError(`The query parameter "${name}" is given twice`, { parameter: name })
    if (value !== '') params.set(name, value)
  }
  return params
}

function optional (params: Map<string, string>, name: 'controller' | 'family' | 'schema'): Partial<StreamQuery> {
  const value = params.get(name)
  return value == null ? {} : { [name]: value }
}

function modelId (text: string): string {
  return parseModelId(text).toString()
}

function jsonObject (text: string, name: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidInputError(`The query parameter "${name}" is not valid JSON: ${(err as Error).message}`, { parameter: name }, { cause: err })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`The query parameter "${name}" must be a JSON object, such as ${name === 'sort' ? '{"published":"desc"}' : '{"author":"did:key:…"}'}`, { parameter: name })
  }
  return value as Record<string, unknown>
}

function pageOf (params: Map<string, string>): PageRequest {
  const limit = params.get('limit')
  const cursor = params.get('cursor')
  const page: PageRequest = {}
  if (limit != null) {
    const n = Number(limit)
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_PAGE_SIZE) throw new InvalidInputError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, not "${limit.slice(0, 20)}"`, { parameter: 'limit' })
    page.limit = n
  }
  if (cursor != null) page.cursor = cursor
  return page
}
