/**
 * ceramic-one's HTTP API (api/ceramic.yaml of rust-ceramic 0.58) under `/ceramic`, so apps written
 * with Ceramic's SDK (@ceramic-sdk/*) work against kiln serve:
 *   GET  /ceramic/liveness                  → 200
 *   GET  /ceramic/version                   → { version } (the API version served; also `kiln`)
 *   POST /ceramic/events  { data }          → 204: a multibase event CAR, verified and stored
 *   GET  /ceramic/events/{cid}              → { id, data }: the event's CAR, multibase base64
 *   GET  /ceramic/feed/events               → { events: [{ id, data? }], resumeToken }
 *   GET  /ceramic/feed/resumeToken          → { resumeToken }
 *   GET  /ceramic/streams/{id}              → StreamState
 *   POST /ceramic/interests, /interests/{sep}/{value} → 204 when kiln serve's own interests
 *        (--interest, default all) already cover it, else 400: they are not changed over HTTP
 * Errors have the spec's shapes: 400 and 500 `{ message, code }` (code: Kiln's error code),
 * 404 a text/plain message. OPTIONS answers CORS preflights for any route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Logger } from '@libp2p/interface'
import {
  BlockNotFoundError, InvalidInputError, type KilnError, OversizeError, StreamNotFoundError, errorToPlain, hasCode
} from '../errors.js'
import { StreamID } from '../ids/index.js'
import type { StreamNode } from '../node/stream-node.js'
import type { SyncInterest } from '../sync/interests.js'
import { eventCar, ingestEventCar } from './ceramic-events.js'
import { decodeMultibase, encodeEventData, parseEventCid, toCeramicStreamState } from './ceramic-formats.js'
import type { EventFeed } from './event-feed.js'
import { RETRY_AFTER_SECONDS, httpStatusOf } from './http-status.js'
import { decodeSegment } from './http-request.js'

/** The ceramic-one API version whose routes and shapes this serves. */
export const CERAMIC_API_VERSION = '0.58.0'
/** An event CAR is at most a few 256 KB blocks; base64 and JSON add a third. */
export const MAX_EVENT_BODY_BYTES = 2 * 1024 * 1024
export const DEFAULT_FEED_LIMIT = 100
export const MAX_FEED_LIMIT = 10_000

export interface CeramicApiInit {
  node: StreamNode
  feed: EventFeed
  /** What kiln serve stores (its --interest flags): a posted interest must fall inside them. */
  interests: SyncInterest[]
  kilnVersion: string
  log: Logger
}

/** An interest as posted: ceramic-one's `Interest` body. */
export interface CeramicInterest {
  sep: string
  sepValue: string
  controller?: string
  streamId?: string
}

/** A 4xx the route decided on, with the Kiln error it stands for. */
class HttpError extends Error {
  constructor (readonly status: number, readonly error: KilnError) { super(error.message) }
}

export function createCeramicApi (init: CeramicApiInit): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  const { node, feed, log } = init

  async function route (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET'
    const get = method === 'GET' || method === 'HEAD'
    if (path === '/liveness' && get) return empty(res, 200)
    if (path === '/version' && (get || method === 'POST')) return json(res, 200, { version: CERAMIC_API_VERSION, kiln: init.kilnVersion })
    if (path === '/events' && method === 'POST') {
      const body = await readJson(req)
      if (typeof body?.data !== 'string') throw new HttpError(400, new InvalidInputError('The body must be {"data": "<multibase event CAR>"}'))
      await ingestEventCar(node, decodeMultibase(body.data))
      return empty(res, 204)
    }
    const event = /^\/events\/([^/]+)$/.exec(path)
    if (event != null && get) {
      const cid = parseEventCid(decodeSegment(event[1]))
      const car = await eventCar(node, cid)
      if (car == null) return text(res, 404, `Event not found : ${cid.toString()}`)
      return json(res, 200, { id: cid.toString(), data: encodeEventData(car) })
    }
    const stream = /^\/streams\/([^/]+)$/.exec(path)
    if (stream != null && get) {
      const id = StreamID.fromString(decodeSegment(stream[1])).toString()
      try {
        return json(res, 200, toCeramicStreamState(await node.load(id)))
      } catch (err) {
        if (hasCode(err, StreamNotFoundError)) return text(res, 404, id)
        throw err
      }
    }
    if (path === '/feed/events' && get) return json(res, 200, await feedPage(query))
    if (path === '/feed/resumeToken' && get) return json(res, 200, { resumeToken: String(await feed.end()) })
    if (path === '/interests' && method === 'POST') {
      requireCovered(parseInterest(await readJson(req)))
      return empty(res, 204)
    }
    const sortKey = /^\/interests\/([^/]+)\/([^/]+)$/.exec(path)
    if (sortKey != null && method === 'POST') {
      const posted: Record<string, unknown> = { sep: decodeSegment(sortKey[1]), sepValue: decodeSegment(sortKey[2]) }
      for (const key of ['controller', 'streamId']) { const value = query.get(key); if (value != null) posted[key] = value }
      requireCovered(parseInterest(posted))
      return empty(res, 204)
    }
    return text(res, 404, `No route for ${method} /ceramic${path}`)
  }

  async function feedPage (query: URLSearchParams): Promise<{ events: Array<{ id: string, data?: string }>, resumeToken: string }> {
    const from = parseCount(query.get('resumeAt') ?? '0', 'resumeAt (a resume token)')
    const limit = Math.min(parseCount(query.get('limit') ?? String(DEFAULT_FEED_LIMIT), 'limit'), MAX_FEED_LIMIT)
    const includeData = query.get('includeData') ?? 'none'
    if (includeData !== 'none' && includeData !== 'full') throw new HttpError(400, new InvalidInputError('includeData must be one of \'none\' or \'full\''))
    const page = await feed.read(from, limit)
    const events = await Promise.all(page.events.map(async (id) => {
      if (includeData === 'none') return { id }
      const car = await eventCar(node, parseEventCid(id))
      return car == null ? { id } : { id, data: encodeEventData(car) }
    }))
    return { events, resumeToken: page.resumeToken }
  }

  function requireCovered (interest: CeramicInterest): void {
    const covered = init.interests.some((mine) => mine.streams != null
      ? interest.streamId != null && mine.streams.includes(interest.streamId)
      : mine.family == null && mine.schema == null && (mine.model == null || mine.model === interest.sepValue) &&
        (mine.controller == null || mine.controller === interest.controller))
    if (!covered) {
      throw new HttpError(400, new InvalidInputError(`This server does not store model ${interest.sepValue}; start kiln serve with --interest model:${interest.sepValue}`))
    }
  }

  return async (req, res, path) => {
    res.setHeader('access-control-allow-origin', '*')
    try {
      if (req.method === 'OPTIONS') {
        res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS')
        res.setHeader('access-control-allow-headers', 'content-type')
        return empty(res, 200)
      }
      const url = new URL(path, 'http://kiln.invalid')
      await route(req, res, url.pathname, url.searchParams)
    } catch (err) {
      const cause = err instanceof HttpError ? err.error : err
      const plain = errorToPlain(cause)
      // A posted event whose earlier events are missing is the poster's to fix (400), not a 404.
      const status = err instanceof HttpError ? err.status : hasCode(cause, BlockNotFoundError) ? 400 : httpStatusOf(cause)
      if (status === 500) log.error('HTTP %s /ceramic%s failed: %s', req.method, path, (cause as Error).stack ?? plain.message)
      if (res.headersSent) { res.destroy(); return }
      if (status === 413) res.setHeader('connection', 'close')
      if (status === 503) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS))
      json(res, status, { message: plain.message, code: plain.code })
    }
  }
}

/** ceramic-one takes `model` interests: the sep value a Model's StreamID; a streamId needs a controller. */
function parseInterest (body: Record<string, unknown> | undefined): CeramicInterest {
  const bad = (message: string): HttpError => new HttpError(400, new InvalidInputError(message))
  if (body == null || typeof body.sep !== 'string' || typeof body.sepValue !== 'string') throw bad('An interest needs `sep` and `sepValue` strings')
  if (body.sep !== 'model') throw bad(`Only "model" interests are supported, not "${body.sep}"`)
  const interest: CeramicInterest = { sep: body.sep, sepValue: StreamID.fromBytes(decodeMultibase(body.sepValue)).toString() }
  if (body.controller != null) {
    if (typeof body.controller !== 'string' || !body.controller.startsWith('did:')) throw bad('`controller` must be a DID')
    interest.controller = body.controller
  }
  if (body.streamId != null) {
    if (typeof body.streamId !== 'string') throw bad('`streamId` must be a StreamID string')
    if (interest.controller == null) throw bad('controller is required if stream_id is specified')
    interest.streamId = StreamID.fromString(body.streamId).toString()
  }
  return interest
}

async function readJson (req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_EVENT_BODY_BYTES) {
      // The rest is not read: the answer closes the connection instead.
      req.pause()
      throw new HttpError(413, new OversizeError(`The request body is over ${MAX_EVENT_BODY_BYTES} bytes`))
    }
    chunks.push(chunk)
  }
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return value != null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch (err) {
    throw new HttpError(400, new InvalidInputError('The body is not JSON', undefined, { cause: err }))
  }
}

function parseCount (text: string, what: string): number {
  const value = Number(text)
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new HttpError(400, new InvalidInputError(`${what} must be a non-negative integer, not "${text}"`))
  return value
}

function json (res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) })
  res.end(data)
}

function text (res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function empty (res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 })
  res.end()
}
