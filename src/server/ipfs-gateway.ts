/**
 * `GET|HEAD /ipfs/{cid}` as an IPFS trustless gateway (specs.ipfs.tech/http-gateways/trustless-gateway):
 * the client names the response type with `?format=raw|car` or `Accept`, and gets bytes it can
 * verify itself, never deserialized content.
 *   raw (application/vnd.ipld.raw)  the one block, its hash checked before it is sent
 *   car (application/vnd.ipld.car)  version 1, DFS order, no duplicates; `dag-scope` block | entity | all
 * Only what this node holds is served (a non-recursive gateway: a root it lacks is a 404, and it
 * never fetches for a client). `entity-bytes`, paths after the CID and CARv2 are refused with a
 * 400 / 406 rather than answered differently from what was asked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { CarWriter } from '@ipld/car'
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'
import type { FileBlockstore } from '../files/file-blockstore.js'
import { parseCid } from '../files/file-store.js'
import { decodeSegment } from './http-request.js'

const RAW_TYPE = 'application/vnd.ipld.raw'
const CAR_TYPE = 'application/vnd.ipld.car'
/** What every CAR from here is: the spec asks for explicit `order` and `dups`. */
const CAR_CONTENT_TYPE = `${CAR_TYPE}; version=1; order=dfs; dups=n`
/** Content addressed: a CID's bytes never change. */
const IMMUTABLE = 'public, max-age=29030400, immutable'

type Format = 'raw' | 'car'
type DagScope = 'block' | 'entity' | 'all'

/** Serves one `/ipfs/…` request; `path` is the URL path, `search` its query string. */
export async function serveIpfs (req: IncomingMessage, res: ServerResponse, path: string, search: string, blocks: FileBlockstore): Promise<void> {
  const match = /^\/ipfs\/([^/]+)(\/.*)?$/.exec(path)
  if (match == null) return refuse(res, 400, 'ERR_INVALID_INPUT', 'The path must be /ipfs/{cid}')
  const cid = parseCid(decodeSegment(match[1]))
  const query = new URLSearchParams(search)
  const format = formatOf(query.get('format'), req.headers.accept)
  if (typeof format === 'object') return refuse(res, format.status, 'ERR_NOT_ACCEPTABLE', format.message)
  if (match[2] != null && match[2] !== '/') return refuse(res, 400, 'ERR_INVALID_INPUT', 'This gateway serves a CID, not a path under it')
  const held = await blocks.has(cid)
  if (!held) {
    // A non-recursive gateway: what it lacks it does not fetch (`only-if-cached` asks exactly that).
    const status = /only-if-cached/i.test(req.headers['cache-control'] ?? '') ? 412 : 404
    return refuse(res, status, 'ERR_BLOCK_NOT_FOUND', `${cid.toString()} is not held by this node`)
  }
  const common = {
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
    vary: 'Accept',
    'x-ipfs-path': `/ipfs/${cid.toString()}`
  }
  if (format === 'raw') {
    const bytes = await blocks.getBlock(cid)
    res.writeHead(200, {
      ...common,
      'content-type': RAW_TYPE,
      'content-length': bytes.byteLength,
      'content-disposition': `attachment; filename="${cid.toString()}.bin"`,
      etag: `"${cid.toString()}.raw"`
    })
    res.end(req.method === 'HEAD' ? undefined : bytes)
    return
  }
  const scope = dagScopeOf(query)
  if (typeof scope === 'object') return refuse(res, 400, 'ERR_INVALID_INPUT', scope.message)
  res.writeHead(200, {
    ...common,
    'content-type': CAR_CONTENT_TYPE,
    'content-disposition': `attachment; filename="${cid.toString()}.car"`,
    etag: `"${cid.toString()}.car.${scope}.dfs.n"`
  })
  if (req.method === 'HEAD') { res.end(); return }
  await streamCar(res, cid, scope, blocks)
}

/** `format` wins over `Accept` (the spec's SHOULD); anything but raw or CARv1 is refused. */
function formatOf (format: string | null, accept: string | undefined): Format | { status: number, message: string } {
  if (format != null) {
    if (format === 'raw' || format === 'car') return format
    return { status: 400, message: `This trustless gateway serves format=raw or format=car, not "${format}"` }
  }
  // Browsers and fetch() send */* by default: that names no type, as a missing header does.
  if (accept == null || accept.split(',').every((range) => /^\s*(\*\/\*)?\s*(;.*)?$/.test(range))) {
    return { status: 400, message: `Name the response type: Accept: ${RAW_TYPE} or ${CAR_TYPE} (or ?format=raw|car)` }
  }
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((s) => s.trim().toLowerCase())
    if (type === RAW_TYPE) return 'raw'
    if (type === CAR_TYPE) {
      const version = params.find((p) => p.startsWith('version='))
      if (version == null || version === 'version=1') return 'car'
    }
  }
  return { status: 406, message: `This trustless gateway serves ${RAW_TYPE} and ${CAR_TYPE}; version=1 only` }
}

function dagScopeOf (query: URLSearchParams): DagScope | { message: string } {
  if (query.has('entity-bytes')) return { message: 'entity-bytes is not supported here; ask for the whole entity' }
  if (query.has('car-version') && query.get('car-version') !== '1') return { message: 'Only CAR version 1 is served' }
  if (query.has('car-dups') && query.get('car-dups') !== 'n') return { message: 'Only car-dups=n is served' }
  const order = query.get('car-order')
  if (order != null && order !== 'dfs' && order !== 'unk') return { message: 'Only car-order=dfs is served' }
  const scope = query.get('dag-scope') ?? 'all'
  if (scope === 'block' || scope === 'entity' || scope === 'all') return scope
  return { message: `dag-scope must be block, entity or all, not "${scope}"` }
}

/**
 * The CAR in depth-first order, each block verified before it is written. Once the 200 is sent, a
 * missing or damaged child can only end the stream early; clients check a CAR's completeness.
 */
async function streamCar (res: ServerResponse, root: CID, scope: DagScope, blocks: FileBlockstore): Promise<void> {
  const { writer, out } = CarWriter.create([root])
  const piping = (async () => {
    for await (const chunk of out) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
    }
  })()
  const seen = new Set<string>()
  try {
    const walk = async (cid: CID): Promise<void> => {
      const key = cid.toString()
      if (seen.has(key)) return
      seen.add(key)
      const bytes = await blocks.getBlock(cid)
      await writer.put({ cid, bytes })
      // UnixFS files and directories are dag-pb over raw leaves: for them entity means the whole DAG.
      if (scope === 'block' || cid.code !== dagPb.code) return
      for (const link of dagPb.decode(bytes).Links) await walk(CID.decode(link.Hash.bytes))
    }
    await walk(root)
    await writer.close()
    await piping
    res.end()
  } catch (err) {
    res.destroy(err as Error)
    await piping.catch(() => {})
  }
}

function refuse (res: ServerResponse, status: number, code: string, message: string): void {
  const text = JSON.stringify({ error: { code, message } })
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
