import * as Comlink from 'comlink'
import { type NodeCalls, PAGE_CALLS, type PageCall, forwardCalls } from '../api/calls.js'
import { DEFAULT_NODE_NAME, tabLock } from '../api/names.js'
import type { IceServer } from '../api/rtc-bridge.js'
import type { AnchorChains, FileInfo, FileProgress, SessionInfo, StreamQuery, StreamSnapshot } from '../api/types.js'
import { installErrorWire } from '../api/wire.js'
import { ConnectionClosedError, type KilnErrorLike } from '../errors.js'
import { openFallback } from './fallback.js'
import { electRtcHost } from './rtc-host.js'
import { type EthereumProvider, type SignInOptions, scheduleRenewal, signInWithEthereum } from './sign-in.js'
import { type NodeLink, openSharedWorker } from './worker-link.js'

export interface ConnectOptions {
  /** Where the worker bundle is; defaults to the one shipped next to this library. */
  workerUrl?: string | URL
  /** Node name: one node (and one IndexedDB database) per name per origin. */
  name?: string
  /** Called if the node's store is closed underneath it (a newer Kiln took over in another tab). */
  onClosed?: (error: KilnErrorLike) => void
  /**
   * Server peers to sync with, as WebSocket multiaddrs (`/dns4/peer.example/tcp/443/wss/p2p/12D3…`).
   * Without any the node works offline; writes are published once peers are given.
   */
  peers?: string[]
  /**
   * EVM chains to check anchor proofs against (`{ 'eip155:1': 'https://rpc.example' }`): anchored
   * streams from Ceramic's network or from an anchoring server then verify, at their anchors' times.
   */
  anchorChains?: AnchorChains
  /**
   * STUN and TURN servers for direct (WebRTC) connections to other browsers, as RTCPeerConnection
   * takes them (`[{ urls: 'turn:turn.example:3478', username, credential }]`). None by default:
   * browsers then connect where they reach each other's own addresses (one network). A STUN server
   * learns of every connection. The tab hosting the node's peer connections uses its own list, so
   * give every tab the same.
   */
  iceServers?: IceServer[]
}

/** A tab's handle on the origin's node. Every call runs in the worker; errors arrive typed. */
export interface Kiln extends Pick<NodeCalls, PageCall> {
  /** Calls `listener` in this tab whenever a matching stream changes, from any tab or peer. */
  subscribe: (target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void) => Promise<() => Promise<void>>
  /**
   * Signs in with an Ethereum wallet (any EIP-1193 provider): new streams are then controlled by
   * `did:pkh:eip155:<chain>:<address>` and signed by a session key that never leaves the worker.
   * The session is shared by every tab and survives restarts; this tab renews it before it expires.
   */
  signIn: (provider: EthereumProvider, options?: SignInOptions) => Promise<SessionInfo>
  /**
   * Stores a file in this browser's node (UnixFS on IPFS, CIDv1): `{ cid, size }`. Refer to it
   * from a document's content as `ipfs://<cid>`; peers that sync the document fetch it by CID.
   * Too large a file is ERR_FILE_TOO_LARGE, a full store ERR_STORE_FULL; neither keeps any of it.
   */
  addFile: (data: Blob | Uint8Array, options?: FileCallOptions) => Promise<FileInfo>
  /** A file's bytes as a Blob, each block verified; fetched from peers when this node lacks it. */
  readFile: (cid: string, options?: FileCallOptions) => Promise<Blob>
  /** The session new streams are written with, if any. */
  session: () => Promise<SessionInfo | undefined>
  /**
   * Disconnects this tab: its subscriptions end and the node forgets it at once; the node keeps
   * running for other tabs. Later calls fail with ERR_CONNECTION_CLOSED.
   */
  close: () => Promise<void>
}

export interface FileCallOptions {
  /**
   * Told how many bytes are done (and the total) as the file moves. Without SharedWorker (the
   * relayed fallback) only the end is told: a listener cannot cross the relay's BroadcastChannel.
   */
  onProgress?: (progress: FileProgress) => void
}

/**
 * Connects this tab to the origin's Kiln node, starting it if no tab has yet.
 *
 * @example
 * const kiln = await connect()
 * const note = await kiln.create({ content: { title: 'Hello' } })
 * await kiln.subscribe(note.id, (s) => { console.log(s.content) })
 * await kiln.update(note.id, { content: { title: 'Hello again' } })
 */
export async function connect (options: ConnectOptions = {}): Promise<Kiln> {
  installErrorWire()
  const name = options.name ?? DEFAULT_NODE_NAME
  const clientId = crypto.randomUUID()
  const shared = typeof SharedWorker === 'function'
  const rtcOptions = options.iceServers == null ? {} : { iceServers: options.iceServers }
  const link: NodeLink = shared
    ? openSharedWorker(name, options.workerUrl)
    // No SharedWorker (Chrome for Android before 148, some WebViews): one tab runs the node in a
    // dedicated worker and relays the other tabs' calls (fallback.ts). The calls are the same.
    : openFallback({ name, clientId, workerUrl: options.workerUrl, rtc: rtcOptions })
  const { api } = link
  let stopRenewal: (() => void) | undefined
  let closed = false
  const open = (): void => { if (closed) throw new ConnectionClosedError() }
  await holdTabLock(clientId)
  await api.hello(clientId)
  // Workers have no RTCPeerConnection: one tab of the origin makes them for the node (rtc-host.ts).
  const hosting = new AbortController()
  if (link.hostPeerConnections != null) electRtcHost(name, link.hostPeerConnections, hosting.signal, rtcOptions)
  if (options.onClosed != null) await api.onClosed(Comlink.proxy(options.onClosed))
  // Before any peer: what they send is checked with these chains.
  if (options.anchorChains != null) await api.trustAnchorChains(options.anchorChains)
  if (options.peers != null && options.peers.length > 0) await api.addPeers(options.peers)
  const signIn = async (provider: EthereumProvider, signInOptions: SignInOptions): Promise<SessionInfo> => {
    open()
    return await signInWithEthereum(api, provider, signInOptions)
  }
  return {
    ...forwardCalls(PAGE_CALLS, async (method, args) => {
      open()
      return await (api[method] as (...a: unknown[]) => Promise<unknown>)(...args)
    }),
    async subscribe (target, listener) {
      open()
      const id = await api.subscribe(target, Comlink.proxy(listener))
      return async () => { if (!closed) await api.unsubscribe(id) }
    },
    async addFile (data, fileOptions = {}) {
      open()
      const done = await api.addFile(data, listenerFor(fileOptions.onProgress, shared))
      if (!shared) fileOptions.onProgress?.({ bytes: done.size, total: done.size })
      return done
    },
    async readFile (cid, fileOptions = {}) {
      open()
      const blob = await api.readFile(cid, listenerFor(fileOptions.onProgress, shared))
      if (!shared) fileOptions.onProgress?.({ bytes: blob.size, total: blob.size })
      return blob
    },
    async signOut (account) {
      open()
      stopRenewal?.()
      await api.signOut(account)
    },
    async signIn (provider, signInOptions = {}) {
      const session = await signIn(provider, signInOptions)
      stopRenewal?.()
      stopRenewal = scheduleRenewal(session, async () => await signIn(provider, signInOptions), signInOptions)
      return session
    },
    async session () {
      open()
      return (await api.sessions()).find((s) => s.active)
    },
    async close () {
      if (closed) return
      closed = true
      stopRenewal?.()
      hosting.abort()
      await link.close()
    }
  }
}

/** A progress listener the worker can call (a Comlink proxy), where the link can carry one. */
function listenerFor (listener: ((progress: FileProgress) => void) | undefined, shared: boolean): ((progress: FileProgress) => void) | undefined {
  return listener == null || !shared ? undefined : Comlink.proxy(listener)
}

/** Held for this tab's lifetime, so the worker can tell when the tab is gone (it cannot see tabs close). */
async function holdTabLock (clientId: string): Promise<void> {
  await new Promise<void>((acquired) => {
    void navigator.locks.request(tabLock(clientId), async () => {
      acquired()
      await new Promise(() => {})
    })
  })
}
