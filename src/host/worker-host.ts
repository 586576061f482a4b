/**
 * The browser node: a StreamNode on IndexedDB, signing with this browser's device key or a wallet
 * session, serving every client that connects. Used by the SharedWorker and by the
 * dedicated-worker fallback (worker/kiln-worker.ts).
 */
import * as Comlink from 'comlink'
import { DEFAULT_NODE_NAME, storeLock, tabLock } from '../api/names.js'
import type { NodeMode } from '../api/types.js'
import { InvalidInputError, StoreLockedError, hasCode } from '../errors.js'
import type { RtcHostCall } from '../api/rtc-bridge.js'
import { installErrorWire } from '../api/wire.js'
import { loadDeviceEncryptionKey, loadDeviceSigner } from '../identity/device-key.js'
import { createSessionKeeper } from '../identity/sessions.js'
import { type Logger, createLogger } from '../logger.js'
import { type StreamNode, createStreamNode } from '../node/stream-node.js'
import { createTrustedChains } from '../anchors/trusted-chains.js'
import { createIdbStore } from '../store/idb-store.js'
import type { FileStore } from '../files/file-store.js'
import { WORKER_GC_INTERVAL_MS } from '../files/constants.js'
import { type BrowserNetwork, startBrowserNetwork } from './browser-network.js'
import { loadFollows } from './follows.js'
import { releaseListener, trackListenerPorts } from './listener-ports.js'
import { createRtcBridge } from './rtc-proxy.js'
import { type NodeHost, createNodeHost } from './serve.js'

export interface WorkerHostInit {
  mode: NodeMode
  /** Node name: names the IndexedDB database (one node per name per origin). */
  name?: string
}

export async function startWorkerHost (init: WorkerHostInit): Promise<NodeHost> {
  installErrorWire()
  const log = createLogger('kiln:host')
  const name = init.name ?? DEFAULT_NODE_NAME
  let host: NodeHost | undefined
  const store = await createIdbStore({
    name,
    log: createLogger('kiln:store:idb'),
    // A newer Kiln upgraded the database in another tab: stop, and tell every page why.
    onClosed: (error) => { host?.announceClosed(error) }
  })
  // The signing key, and the X25519 key that opens private documents shared with this browser: both
  // made once and kept in IndexedDB, non-extractable, used only in the worker.
  const [device, encryptionKey] = await Promise.all([loadDeviceSigner(), loadDeviceEncryptionKey()])
  const sessions = await createSessionKeeper(device)
  const anchors = createTrustedChains()
  let network: BrowserNetwork | undefined
  const node = createStreamNode({
    store,
    identity: sessions,
    encryptionKey,
    anchorValidator: anchors.validator,
    // Readers' key directories this node lacks come from its peers, once it has some.
    fetchStream: async (id) => await network?.fetchStream(id) ?? false,
    log: createLogger('kiln:node')
  })
  // An account that shares private documents (its key directory is here) lists this device's key too.
  publishKeyIfShared(node, log)
  const follows = await loadFollows(name)
  const controllers = (): string[] => [device.controller, ...sessions.list().map((s) => s.account)]
  const rtc = createRtcBridge()
  // helia, UnixFS and blockstore-idb are their own chunk: loaded on the first file call, or when
  // the network starts (bitswap then serves this node's files to its peers).
  let files: Promise<FileStore> | undefined
  const openFiles = async (): Promise<FileStore> => {
    files ??= import('../files/index.js').then(async ({ createFileStore, openIdbBlocks }) => {
      const { blocks } = await openIdbBlocks(name)
      return createFileStore({ blocks, log: createLogger('kiln:files') })
    })
    return await files
  }
  host = createNodeHost({
    node,
    sessions,
    follows,
    mode: init.mode,
    log,
    rtc,
    onSignIn: () => { publishKeyIfShared(node, log) },
    files: openFiles,
    anchors,
    gcIntervalMs: WORKER_GC_INTERVAL_MS,
    startNetwork: async (peers) => {
      const started = await startBrowserNetwork(node, peers, { controllers, follows: follows.list, device }, rtc)
      network = started
      // Files are not needed for sync: if they cannot start, streams still sync (and it is logged).
      try {
        const store = await openFiles()
        const { startFileNetwork } = await import('../files/index.js')
        store.useNetwork((await startFileNetwork(started.libp2p, store.blocks)).blockstore)
      } catch (err) {
        log.error('files over the network did not start: %s', (err as Error).message)
      }
      return started
    }
  })
  return host
}

/**
 * Publishes this device's encryption key for the author's account if the account already has a key
 * directory here: accounts that never used private documents get no directory (and no write).
 */
export function publishKeyIfShared (node: StreamNode, log: Logger): void {
  const account = node.controller
  if (account == null) return
  node.hasKeyDirectory(account)
    .then(async (shared) => { if (shared) await node.publishEncryptionKey() })
    .catch((err: unknown) => { log.error('publishing this device\'s encryption key for %s failed: %s', account, (err as Error).message) })
}

/** Serves one client over a MessagePort; it ends on `bye()` or when the client's tab lock frees. */
export function serveClient (host: NodeHost, port: MessagePort): void {
  trackListenerPorts()
  let rtcPort: MessagePort | undefined
  const api = host.connect((clientId, gone) => {
    // The page holds this lock for its lifetime; we get it only once the page is gone.
    void navigator.locks.request(tabLock(clientId), async () => {
      gone()
      // Its peer connections went with the tab, if it hosted them.
      if (rtcPort != null) host.rtc?.detach(rtcPort)
      // Nothing answers on the tab's port any more: closed, it and the calls it served can go.
      port.close()
    })
  }, releaseListener)
  const rtcCall: RtcHostCall = {
    async hostPeerConnections (hostPort) {
      if (host.rtc == null) throw new InvalidInputError('This node has no WebRTC')
      host.rtc.attach(hostPort)
      rtcPort = hostPort
    }
  }
  Comlink.expose({ ...api, ...rtcCall }, port)
}

/** The dedicated-worker fallback: the leader tab owns the worker and hosts its peer connections for its lifetime. */
export function hostPeerConnectionsFor (host: NodeHost, port: MessagePort): void {
  host.rtc?.attach(port)
}

/** When the node cannot start (store locked, newer schema…), every call reports that error, typed. */
export function serveStartupFailure (error: unknown, port: MessagePort): void {
  installErrorWire()
  const failing = new Proxy({}, { get: () => async () => { throw error } })
  Comlink.expose(failing, port)
}

/** How long a new leader's worker waits for the previous leader's worker to let go of the store. */
export const STORE_HANDOVER_TIMEOUT_MS = 10_000

/**
 * For the dedicated-worker fallback: when leadership moves, the old leader's tab is gone but its
 * worker may hold the store's Web Lock a little longer. Wait for that lock to free, then open the
 * store. Bounded, so a store held for good still fails with StoreLockedError.
 */
export async function startWorkerHostAfterHandover (init: WorkerHostInit): Promise<NodeHost> {
  const name = init.name ?? DEFAULT_NODE_NAME
  const deadline = Date.now() + STORE_HANDOVER_TIMEOUT_MS
  for (;;) {
    try {
      return await startWorkerHost(init)
    } catch (err) {
      if (!hasCode(err, StoreLockedError) || Date.now() >= deadline) throw err
      await waitForLock(storeLock(name), deadline - Date.now())
    }
  }
}

/** Resolves once `lockName` is free (taking and dropping it at once), or when `ms` have passed. */
async function waitForLock (lockName: string, ms: number): Promise<void> {
  try {
    await navigator.locks.request(lockName, { signal: AbortSignal.timeout(ms) }, async () => {})
  } catch (err) {
    // Timing out is an answer too: the next attempt reports the store as locked.
    if ((err as Error).name !== 'TimeoutError' && (err as Error).name !== 'AbortError') throw err
  }
}
