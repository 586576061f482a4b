import type { CallName } from '../api/calls.js'
import type { StreamSnapshot } from '../api/types.js'
import type { KilnErrorLike } from '../errors.js'

/**
 * The relay between tabs when SharedWorker is missing (see fallback.ts). Followers cannot hand a
 * MessagePort or a Comlink callback to another tab, so they send plain messages on a
 * BroadcastChannel and the leader tab makes the calls on their behalf. Every message names its
 * sender (`from`, a client id); replies and requests also name their one receiver (`to`).
 *
 * Calls are those of api/calls.ts, with their arguments. Calls with a listener change shape: the
 * follower keeps the listener and names it by a subscription number of its own (stable across
 * leaders), and the leader sends `event`/`closed`:
 *   hello()  subscribe(sub, target)  unsubscribe(sub)  onClosed()  bye()
 */

/** Follower → leader. */
export interface CallMessage { kind: 'call', to: string, from: string, id: number, method: CallName, args: unknown[] }

/** Leader → one follower. `ack` is sent before the call reaches the node (see relay-leader.ts). */
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

export type RelayMessage = CallMessage | ReplyMessage | BroadcastMessage
