/**
 * The names a page, the worker and the other tabs of an origin agree on: the worker's name, the
 * Web Locks and the relay channel. One node (and one IndexedDB database) per node name.
 */
export const DEFAULT_NODE_NAME = 'kiln'

/** The worker's name (SharedWorker or dedicated worker) for a node name. */
export const workerName = (name: string): string => `kiln:${name}`
/** The node name a worker was started for. */
export const nodeNameOf = (worker: string): string => worker.replace(/^kiln:/, '') || DEFAULT_NODE_NAME

/** Held by a tab for its lifetime: once the worker gets it, the tab is gone (a worker cannot see tabs close). */
export const tabLock = (clientId: string): string => `kiln-tab:${clientId}`
/** Held by the worker whose node has the IndexedDB store open: never two writers. */
export const storeLock = (name: string): string => `kiln-store:${name}`
/** Without SharedWorker: held by the tab that runs the node; the other tabs queue on it. */
export const leaderLock = (name: string): string => `kiln-leader:${name}`
/** Taken by the one tab that asks the wallet to renew an account's session. */
export const renewLock = (account: string): string => `kiln-renew:${account}`
/** Without SharedWorker: the BroadcastChannel carrying the relay messages of one node. */
export const relayChannel = (name: string): string => `kiln-relay:${name}`
/** Held by the one tab that makes the worker's WebRTC peer connections (workers have no RTCPeerConnection). */
export const rtcHostLock = (name: string): string => `kiln-rtc-host:${name}`
