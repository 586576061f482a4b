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

const isText = (value: unknown): value is string => typeof value === 'string'
const isCount = (value: unknown): value is number => Number.isSafeInteger(value)
const isObject = (value: unknown): value is Record<string, unknown> => value != null && typeof value === 'object' && !Array.isArray(value)
const isErrorLike = (value: unknown): value is KilnErrorLike => isObject(value) && isText(value.name) && isText(value.code) && isText(value.message)

/**
 * Whether a value read from the relay channel is a relay message of a known kind and shape. Any
 * script of the origin can post on the channel (another Kiln version, a stray library): what is
 * not one is dropped, so no handler reads a field that is not there.
 */
export function isRelayMessage (value: unknown): value is RelayMessage {
  if (!isObject(value) || !isText(value.from)) return false
  switch (value.kind) {
    case 'leader': return typeof value.since === 'number' && Number.isFinite(value.since)
    case 'who': return true
    // The leader answers a call of an unknown method or with arguments of another shape with a typed error.
    case 'call': return isText(value.to) && isCount(value.id)
    case 'ack': return isText(value.to) && isCount(value.id)
    case 'result': return isText(value.to) && isCount(value.id)
    case 'error': return isText(value.to) && isCount(value.id) && isErrorLike(value.error)
    case 'event': return isText(value.to) && isCount(value.sub) && isObject(value.snapshot)
    case 'closed': return isText(value.to) && isErrorLike(value.error)
    default: return false
  }
}
