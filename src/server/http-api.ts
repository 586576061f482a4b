/**
 * The server peer's read-only HTTP API:
 *   GET /healthz           → { ok, peerId, multiaddrs, peers, streams, sync } (sync.reconIndex: its keys, and load time once loaded)
 *   GET /streams/:id       → the stream's snapshot (StreamID or CommitID)
 *   GET /streams/:id/car   → the stream's log as a CAR file
 *   GET /streams/:id/content
 *                          → the current content alone, as JSON (a mutable NFT's tokenURI can name it)
 *   GET /ipfs/:cid?format=raw|car
 *                          → a file's blocks, as an IPFS trustless gateway (ipfs-gateway.ts)
 *   GET /streams?model=&controller=&family=&schema=&limit=&cursor=
 *                          → { items: snapshots, cursor? }, oldest first
 *   GET /models/:model/documents?where=<JSON>&sort=<JSON>&controller=&limit=&cursor=
 *                          → { items: snapshots, cursor? }: the Model's documents matching `where`
 *                            (by dotted content path, ComposeDB's filter names, a bare value is
 *                            equalTo), in `sort` order (`{"published":"desc"}`), else the index's
 *   GET /models/:model/count?where=<JSON>&controller=
 *                          → { count }
 *   GET /models/:model/indexes
 *                          → IndexStatus[]: the Model's field indexes (declared and relation ones)
 *   POST /streams/:id/anchor
 *                          → 202 { id, pending }: the stream's tip goes in the next anchor batch
 *                            (a server started with anchoring; else 404 ERR_NOT_ANCHORING)
 *   /ceramic/…             → ceramic-one's API (ceramic-api.ts), the only part that takes writes
 * Snapshots are as /streams/:id gives them. A page's `cursor` is passed back as `cursor=` for the
 * next page (URL-encoded: it is opaque). `where` and `sort` need an index that holds their fields
 * (`kiln serve --index`): a field none holds is ERR_NOT_INDEXED, never a scan (http-query.ts reads
 * the parameters).
 * Limits on header size, request time and connections are `HttpLimits` (431, 408, dropped).
 * Errors are `{ error: { code, message } }`, their status from http-status.ts (a 503 carries
 * Retry-After); a malformed id, URL or query is a 400, never a 500. Everything it serves is public
 * stream data, so any origin may read it (CORS *).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from '@libp2p/interface'
import { errorToPlain } from '../errors.js'
import type { EvmAnchorer } from '../anchors/evm-anchorer.js'
import type { FileStore } from '../files/file-store.js'
import type { StreamNode } from '../node/stream-node.js'
import type { SyncStatus } from '../sync/sync.js'
import { modelCountQuery, modelDocumentsRequest, modelIndexesModel, streamsRequest } from './http-query.js'
import { RETRY_AFTER_SECONDS, httpStatusOf } from './http-status.js'
import { decodeSegment, targetOf } from './http-request.js'
import { serveIpfs } from './ipfs-gateway.js'

export interface HttpApiInit {
  node: StreamNode
  peerId: string
  multiaddrs: () => string[]
  sync: () => SyncStatus
  log: Logger
  /** Serves `/ceramic/…`; given the path after `/ceramic`, with its query. */
  ceramic?: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>
  /** The node's files, served under /ipfs/ (without them that route is a 404). */
  files?: FileStore
  /** The server's anchor service, which POST /streams/:id/anchor asks. */
  anchors?: EvmAnchorer
  limits?: Partial<HttpLimits>
}

/** What one client may hold of the server; past them Node answers 431/408 or drops the socket. */
export interface HttpLimits {
  /** Request line and headers, in bytes (past it: 431). */
  maxHeaderBytes: number
  /** Time to receive the headers (a slow client past it: 408, then closed). */
  headersTimeoutMs: number
  /** Time to receive the whole request, body included. */
  requestTimeoutMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number
  /** Open connections at once; more are closed on arrival. */
  maxConnections: number
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024
}

export function createHttpApi (init: HttpApiInit): Server {
  const { node, log } = init
  const routes = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('access-control-allow-origin', '*')
    const url = req.url ?? '/'
    if (init.ceramic != null && (url === '/ceramic' || url.startsWith('/ceramic/') || url.startsWith('/ceramic?'))) {
      return await init.ceramic(req, res, url.slice('/ceramic'.length) || '/')
    }
    if (req.method === 'POST') {
      const anchor = /^\/streams\/([^/]+)\/anchor$/.exec(targetOf(url).pathname)
      if (anchor != null) return await requestAnchor(res, decodeSegment(anchor[1]))
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: { code: 'ERR_METHOD', message: 'Only GET is supported' } })
    const { pathname: path, search } = targetOf(url)
    if (path.startsWith('/ipfs/') && init.files != null) return await serveIpfs(req, res, path, search, init.files.blocks)
    if (path === '/healthz') {
      const sync = init.sync()
      return json(res, 200, {
        ok: true,
        peerId: init.peerId,
        multiaddrs: init.multiaddrs(),
        peers: sync.peers,
        streams: (await node.stats()).streams,
        sync: { lastSyncAt: sync.lastSyncAt, synced: sync.synced, failed: sync.failed, invalid: sync.invalid, banned: sync.banned, reconIndex: sync.recon?.index }
      })
    }
    if (path === '/streams') {
      const { query, page } = streamsRequest(search)
      return json(res, 200, await node.query(query, page))
    }
    const model = /^\/models\/([^/]+)\/(documents|count|indexes)$/.exec(path)
    if (model != null) {
      const id = decodeSegment(model[1])
      if (model[2] === 'documents') {
        const { query, page } = modelDocumentsRequest(id, search)
        return json(res, 200, await node.query(query, page))
      }
      if (model[2] === 'count') return json(res, 200, { count: await node.count(modelCountQuery(id, search)) })
      return json(res, 200, await node.indexes(modelIndexesModel(id, search)))
    }
    const match = /^\/streams\/([^/]+)(\/car|\/content)?$/.exec(path)
    if (match == null) return json(res, 404, { error: { code: 'ERR_NOT_FOUND', message: `No route for ${path}` } })
    const id = decodeSegment(match[1])
    if (match[2] == null) return json(res, 200, await node.load(id))
    if (match[2] === '/content') return json(res, 200, (await node.load(id)).content ?? null)
    const car = await node.exportCar(id)
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.car', 'content-length': car.length })
    res.end(car)
  }
  const requestAnchor = async (res: ServerResponse, ref: string): Promise<void> => {
    if (init.anchors == null) return json(res, 404, { error: { code: 'ERR_NOT_ANCHORING', message: 'This server does not anchor streams' } })
    // Only a stream this server holds can be anchored (a 404 otherwise, from load).
    const { id } = await node.load(ref)
    init.anchors.request(id)
    return json(res, 202, { id, pending: init.anchors.pending })
  }
  const limits = { ...DEFAULT_HTTP_LIMITS, ...init.limits }
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // How often Node checks the two timeouts above (its default, 30 s, would let them run long).
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4)))
  }, (req, res) => {
    routes(req, res).catch((err: unknown) => {
      const plain = errorToPlain(err)
      const status = httpStatusOf(err)
      if (status === 500) log.error('HTTP %s %s failed: %s', req.method, req.url, (err as Error).stack ?? plain.message)
      if (res.headersSent) { res.destroy(); return }
      if (status === 503) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS))
      json(res, status, { error: { code: plain.code, message: plain.message } })
    })
  })
  server.maxConnections = limits.maxConnections
  return server
}

function json (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
