/**
 * The server peer: an always-on StreamNode (disk store) reachable over libp2p WebSockets, running
 * a circuit-relay server and sync with its bootstrap peers, plus the HTTP API (Kiln's read-only
 * routes and ceramic-one's API under /ceramic).
 */
import { readFileSync } from 'node:fs'
import type { Server } from 'node:http'
import { join } from 'node:path'
import type { GarbageCollected, GarbageCollectionOptions, IndexDefinition } from '../api/types.js'
import type { EvmAnchorer, EvmAnchorerOptions } from '../anchors/evm-anchorer.js'
import { InvalidInputError } from '../errors.js'
import type { FileStore } from '../files/file-store.js'
import { startFileNetwork, type FileNetwork } from '../files/file-network.js'
import { type FileRoots, allRoots, documentFileRoots } from '../files/file-roots.js'
import { scheduleGarbageCollection } from '../files/gc-schedule.js'
import { keepFilesOf } from './keep-files.js'
import type { StreamNode } from '../node/stream-node.js'
import { createKilnLibp2p, type KilnLibp2p } from '../sync/libp2p-config.js'
import { createDenyList } from '../sync/peer-score.js'
import { startSync, type Sync } from '../sync/sync.js'
import { ALL_STREAMS, type SyncInterest } from '../sync/interests.js'
import { createCeramicApi } from './ceramic-api.js'
import { createEventFeed } from './event-feed.js'
import { type HttpLimits, createHttpApi } from './http-api.js'
import { indexesByModel } from './index-spec.js'
import { loadOrCreatePeerKey } from './peer-key-file.js'
import { fillNode20Builtins } from './node20-builtins.js'

export interface ServerPeerInit {
  node: StreamNode
  /** The data dir: the peer key is kept here. */
  dir: string
  /** libp2p listen multiaddrs, e.g. `/ip4/127.0.0.1/tcp/4010/ws`, or `…/tls/ws` with `tls`. */
  listen: string[]
  /** Certificate and key (PEM) for the `/tls/ws` (wss) listen addresses. */
  tls?: { cert: string, key: string }
  /** Host and port of the HTTP API (port 0 picks a free one). */
  httpHost: string
  httpPort: number
  /** Header size, request time and connection limits of the HTTP API (defaults: DEFAULT_HTTP_LIMITS). */
  httpLimits?: Partial<HttpLimits>
  bootstrap?: string[]
  interests?: SyncInterest[]
  /**
   * Field indexes to declare before serving (kept in the store; declaring one again changes
   * nothing). Every relation field of a Model is indexed without being named here.
   */
  indexes?: IndexDefinition[]
  topic?: string
  syncIntervalMs?: number
  /**
   * The node's files: served to peers over bitswap on the same libp2p, and over HTTP at
   * /ipfs/{cid} (a trustless gateway); reads fetch missing blocks from connected peers.
   */
  files?: FileStore
  /**
   * Anchor the held streams on an EVM chain (a batch per interval, from a funded key); clients ask
   * for one with POST /streams/{id}/anchor. The node's anchor validator must trust the same chain.
   */
  anchoring?: Omit<EvmAnchorerOptions, 'node' | 'log'>
  /**
   * Garbage collection of files (file-gc.ts): every `intervalMs` (none when absent or 0), blocks no
   * held document refers to and older than `graceMs` (default one hour) are removed.
   */
  gc?: { intervalMs?: number, graceMs?: number }
  /** Files kept besides those the held documents name (`kiln serve`: the data dir's pins). */
  keptFiles?: FileRoots
}

export interface ServerPeer {
  peerId: string
  /** Dialable addresses, each ending in `/p2p/<peerId>`. */
  multiaddrs: () => string[]
  /** Base URL of the HTTP API. */
  http: string
  libp2p: KilnLibp2p
  sync: Sync
  /** The anchor service, when `anchoring` was given. */
  anchorer?: EvmAnchorer
  /** One garbage collection of files now (ERR_INVALID_INPUT when the peer keeps no files). */
  collectGarbage: (options?: GarbageCollectionOptions) => Promise<GarbageCollected>
  stop: () => Promise<void>
}

/** Starts the server peer on `init.node`; on Node 20 it first fills in what libp2p needs (node20-builtins.ts). */
export async function startServerPeer (init: ServerPeerInit): Promise<ServerPeer> {
  const { node } = init
  await fillNode20Builtins()
  for (const [model, fields] of indexesByModel(init.indexes ?? [])) await node.indexModel(model, fields)
  const { key } = await loadOrCreatePeerKey(init.dir)
  const denyList = createDenyList()
  const libp2p = await createKilnLibp2p({ privateKey: key, listen: init.listen, relay: true, denyList, tls: init.tls })
  const log = libp2p.logger.forComponent('kiln:server')
  let sync: Sync | undefined
  let http: Server | undefined
  let fileNetwork: FileNetwork | undefined
  let anchorer: EvmAnchorer | undefined
  const feed = createEventFeed(node, join(init.dir, FEED_FILE))
  try {
    sync = await startSync({ node, libp2p, denyList, bootstrap: init.bootstrap, interests: init.interests, topic: init.topic, syncIntervalMs: init.syncIntervalMs })
    const running = sync
    if (init.files != null) {
      fileNetwork = await startFileNetwork(libp2p, init.files.blocks)
      init.files.useNetwork(fileNetwork.blockstore)
    }
    const files = fileNetwork
    const stopKeeping = init.files == null ? () => {} : keepFilesOf(node, init.files, log.newScope('files'))
    // viem loads only for a server that anchors.
    if (init.anchoring != null) anchorer = (await import('../anchors/evm-anchorer.js')).startEvmAnchorer({ ...init.anchoring, node, log: log.newScope('anchors') })
    const anchors = anchorer
    const collectGarbage = async (options: GarbageCollectionOptions = {}): Promise<GarbageCollected> => {
      if (init.files == null) throw new InvalidInputError('This server peer keeps no files')
      const roots = init.keptFiles == null ? documentFileRoots(node) : allRoots(documentFileRoots(node), init.keptFiles)
      return await init.files.collectGarbage(roots, { graceMs: options.graceMs ?? init.gc?.graceMs })
    }
    const gcInterval = init.gc?.intervalMs ?? 0
    const stopGc = init.files == null || gcInterval <= 0 ? () => {} : scheduleGarbageCollection(collectGarbage, { intervalMs: gcInterval, log: log.newScope('gc') })
    const multiaddrs = (): string[] => libp2p.getMultiaddrs().map((ma) => ma.toString())
    const ceramic = createCeramicApi({ node, feed, interests: init.interests ?? [ALL_STREAMS], kilnVersion: KILN_VERSION, log: log.newScope('ceramic') })
    http = createHttpApi({ node, peerId: libp2p.peerId.toString(), multiaddrs, sync: () => running.status(), log: log.newScope('http'), ceramic, files: init.files, anchors, limits: init.httpLimits })
    const url = await listen(http, init.httpHost, init.httpPort)
    const server = http
    log('server peer %s listening on %s, HTTP on %s', libp2p.peerId.toString(), multiaddrs().join(' '), url)
    return {
      peerId: libp2p.peerId.toString(),
      multiaddrs,
      http: url,
      libp2p,
      sync: running,
      anchorer: anchors,
      collectGarbage,
      async stop () {
        stopGc()
        await new Promise<void>((resolve, reject) => {
          server.close((err) => { if (err == null) resolve(); else reject(err) })
          server.closeAllConnections()
        })
        feed.close()
        stopKeeping()
        await anchors?.stop()
        await running.stop()
        init.files?.useNetwork(undefined)
        await files?.stop()
        await libp2p.stop()
      }
    }
  } catch (err) {
    // Startup failed half-way: release what was started, then report the original failure.
    http?.close()
    feed.close()
    await anchorer?.stop()
    await sync?.stop().catch((cause: unknown) => { log.error('could not stop sync after a failed start: %s', (cause as Error).message) })
    init.files?.useNetwork(undefined)
    await fileNetwork?.stop().catch((cause: unknown) => { log.error('could not stop bitswap after a failed start: %s', (cause as Error).message) })
    await libp2p.stop()
    throw err
  }
}

/** The ceramic-one event feed's order, in the data dir (see event-feed.ts). */
const FEED_FILE = 'ceramic-feed.txt'
const KILN_VERSION = kilnVersion()

/** Kiln's version from its package.json: two folders up in a checkout (src/server), three when installed (dist/lib/server). */
function kilnVersion (): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'kiln' && typeof pkg.version === 'string') return pkg.version
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
  return 'unknown'
}

async function listen (server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  const actual = typeof address === 'object' && address != null ? address.port : port
  return `http://${host.includes(':') ? `[${host}]` : host}:${actual}`
}
