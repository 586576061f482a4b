/**
 * @packageDocumentation
 * `kiln/server`: a server peer started from code, as `kiln serve` starts it: a StreamNode (from
 * `kiln/node`) reachable over libp2p WebSockets, syncing with its bootstrap peers, plus the
 * read-only HTTP API (`/healthz`, `/streams/:id`, `/streams/:id/car`).
 *
 * @example
 * ```ts
 * import { createStreamNode, createDiskStore } from 'kiln/node'
 * import { startServerPeer } from 'kiln/server'
 * const node = createStreamNode({ store: await createDiskStore({ path: './peer/store' }) })
 * const peer = await startServerPeer({ node, dir: './peer', listen: ['/ip4/127.0.0.1/tcp/4010/ws'], httpHost: '127.0.0.1', httpPort: 4011 })
 * console.log(peer.multiaddrs(), peer.http)
 * ```
 */
// Ed25519 and Recon's key hashes on node:crypto rather than WebCrypto and JS (faster in Node; the same results).
import '../identity/ed25519-node.js'
import '../sync/sha256a-node.js'
export { startServerPeer, type ServerPeerInit, type ServerPeer } from '../server/server-peer.js'
export { startEvmAnchorer, type EvmAnchorer, type EvmAnchorerOptions, type AnchorBatchResult } from '../anchors/evm-anchorer.js'
export { serveOptions, type ServeOptions, type ServeValues } from '../server/serve-command.js'
export { DEFAULT_HOST, DEFAULT_PORT, DEFAULT_HTTP_PORT, DEFAULT_TLS_PORT } from '../server/serve-usage.js'
export { parseInterest, ALL_STREAMS, type SyncInterest } from '../sync/interests.js'
export { DEFAULT_TOPIC } from '../sync/constants.js'
