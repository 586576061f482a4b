import type { KilnErrorLike } from '../errors.js'
import type { KilnApi } from '../node/api.js'
import type { StreamSnapshot } from '../node/snapshot.js'

/**
 * The relay between tabs when SharedWorker is missing (see fallback.ts). Followers cannot hand a
 * MessagePort or a Comlink callback to another tab, so they send plain messages on a
 * BroadcastChannel and the leader tab makes the calls on their behalf. Every message names its
 * sender (`from`, a client id); replies and requests also name their one receiver (`to`).
 */

/** BroadcastChannel carrying the relay messages of one node. */
export const relayChannelName = (name: string): string => `kiln-relay:${name}`
/** Web Lock the leader tab holds for its lifetime; the other tabs queue on it. */
export const leaderLockName = (name: string): string => `kiln-leader:${name}`

/** The node's plain-data calls, forwarded as they are. */
export const PLAIN_METHODS = ['create', 'update', 'load', 'history', 'query', 'exportCar', 'importCar', 'pin', 'unpin', 'stats', 'status', 'prepareSession', 'completeSession', 'sessions', 'signOut', 'addPeers'] as const
export type PlainMethod = typeof PLAIN_METHODS[number]

/**
 * Calls with a listener change shape on the relay: the follower keeps the listener and names it by
 * a subscription number of its own (stable across leaders), and the leader sends `event`/`closed`.
 *   hello()  subscribe(sub, target)  unsubscribe(sub)  onClosed()
 */
export type RelayMethod = PlainMethod | 'hello' | 'subscribe' | 'unsubscribe' | 'onClosed'

/**
 * Calls that may run twice without harm, so a follower sends them again to a new leader even when
 * the old one had taken them. The leader makes hello/subscribe/onClosed idempotent per client;
 * pin/unpin set a flag. Everything else writes a commit: see LeaderChangedError.
 */
export const RETRY_SAFE: ReadonlySet<RelayMethod> = new Set<RelayMethod>(['hello', 'subscribe', 'unsubscribe', 'onClosed', 'load', 'history', 'query', 'exportCar', 'stats', 'status', 'pin', 'unpin', 'sessions', 'signOut', 'addPeers'])

/** Follower → leader. */
export type RequestMessage =
  | { kind: 'call', to: string, from: string, id: number, method: RelayMethod, args: unknown[] }
  /** The client closed its Kiln (its tab lives on): forget its connection. */
  | { kind: 'bye', to: string, from: string }

/** Leader → one follower. `ack` is sent before the call reaches the node (see fallback-leader.ts). */
export type ReplyMessage =
  | { kind: 'ack', to: string, from: string, id: number }
  | { kind: 'result', to: string, from: string, id: number, value: unknown }
  | { kind: 'error', to: string, from: string, id: number, error: KilnErrorLike }
  | { kind: 'event', to: string, from: string, sub: number, snapshot: StreamSnapshot }
  | { kind: 'closed', to: string, from: string, error: KilnErrorLike }

/** To every tab: `leader` announces a new leader (and answers `who`); `since` orders leaders. */
export type BroadcastMessage =
  | { kind: 'leader', from: string, since: number }
  | { kind: 'who', from: string }

export type RelayMessage = RequestMessage | ReplyMessage | BroadcastMessage

/** The node's calls as the page sees them; every listener stays in the page. */
export interface NodeLink {
  api: KilnApi
  close: () => void
}
