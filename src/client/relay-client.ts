import { CALLS, type CallName, PLAIN_CALLS, type WorkerApi, forwardCalls } from '../api/calls.js'
import type { StreamQuery, StreamSnapshot } from '../api/types.js'
import { ConnectionClosedError, type KilnErrorLike, LeaderChangedError, errorFromPlain } from '../errors.js'
import type { CallMessage, ReplyMessage } from './relay-protocol.js'

export interface RelayClientInit {
  clientId: string
  send: (message: CallMessage) => void
  /** Where a listener's own exception goes (it must not stop the relay). */
  onListenerError?: (err: unknown) => void
}

export interface RelayClient {
  /** The node's calls for connect(); each goes to whichever tab leads now. */
  api: WorkerApi
  handle: (message: ReplyMessage) => void
  /** A tab announced that it leads (`since`: when it took over; older announcements lose). */
  leaderIs: (leader: string, since: number) => void
}

interface Pending {
  method: CallName
  args: unknown[]
  /** The leader that took the call (acknowledged it), if any. */
  takenBy?: string
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/**
 * A tab's side of the fallback relay. It keeps what the leader must know about this tab (hello,
 * onClosed, subscriptions) so it can tell a new leader again, and every call until it is
 * answered, so it can resend it: calls no leader took go to the new one, and so do taken calls
 * that are retry-safe (api/calls.ts); a taken write fails with LeaderChangedError (its outcome is
 * unknown).
 */
export function createRelayClient ({ clientId, send, onListenerError = reportError }: RelayClientInit): RelayClient {
  const pending = new Map<number, Pending>()
  const subscriptions = new Map<number, { target: string | StreamQuery, listener: (snapshot: StreamSnapshot) => void }>()
  let closedListener: ((error: KilnErrorLike) => void) | undefined
  let greeted = false
  let leader: { id: string, since: number } | undefined
  let nextId = 1
  let nextSub = 1
  let closed = false

  const post = (id: number, call: Pending): void => {
    if (leader != null) send({ kind: 'call', to: leader.id, from: clientId, id, method: call.method, args: call.args })
  }

  const request = async (method: CallName, args: unknown[]): Promise<unknown> => {
    const id = nextId++
    return await new Promise((resolve, reject) => {
      const entry: Pending = { method, args, resolve, reject }
      pending.set(id, entry)
      post(id, entry) // or, with no leader known yet, when one announces itself
    })
  }

  /** Every call but `bye` is refused once this client closed. */
  const call = async (method: CallName, args: unknown[]): Promise<unknown> => {
    if (closed) throw new ConnectionClosedError()
    return await request(method, args)
  }

  /** Tells a new leader what the old one knew about this tab; failures are reported, not hidden. */
  const reintroduce = (): void => {
    const report = (err: unknown): void => { onListenerError(err) }
    if (greeted) request('hello', [clientId]).catch(report)
    if (closedListener != null) request('onClosed', []).catch(report)
    for (const [sub, { target }] of subscriptions) request('subscribe', [sub, target]).catch(report)
  }

  /** A listener's failure is the page's own bug: report it (as an uncaught error would be), keep listening. */
  const deliver = (run: () => void): void => {
    try { run() } catch (err) { onListenerError(err) }
  }

  const api: WorkerApi = {
    ...forwardCalls(PLAIN_CALLS, call),
    // Known before the call goes out: a `closed` message may arrive before the call's result.
    async hello (id) { greeted = true; await call('hello', [id]) },
    async onClosed (listener) { closedListener = listener; await call('onClosed', []) },
    async subscribe (target, listener) {
      const sub = nextSub++
      subscriptions.set(sub, { target, listener })
      try {
        await call('subscribe', [sub, target])
      } catch (err) {
        subscriptions.delete(sub)
        throw err
      }
      return sub
    },
    async unsubscribe (sub) {
      if (subscriptions.delete(sub)) await call('unsubscribe', [sub])
    },
    async bye () {
      if (closed) return
      closed = true
      greeted = false
      subscriptions.clear()
      closedListener = undefined
      await request('bye', [])
    }
  }

  return {
    api,
    handle (message) {
      switch (message.kind) {
        case 'ack': {
          const entry = pending.get(message.id)
          if (entry != null) entry.takenBy = message.from
          return
        }
        case 'result':
        case 'error': {
          const entry = pending.get(message.id)
          if (entry == null) return // answered already (a call sent to two leaders)
          pending.delete(message.id)
          if (message.kind === 'result') entry.resolve(message.value)
          else entry.reject(errorFromPlain(message.error))
          return
        }
        case 'event': {
          const listener = subscriptions.get(message.sub)?.listener
          if (listener != null) deliver(() => { listener(message.snapshot) })
          return
        }
        case 'closed':
          if (closedListener != null) deliver(() => { closedListener?.(message.error) })
      }
    },
    leaderIs (id, since) {
      if (leader != null && (leader.id === id || since < leader.since)) return
      const previous = leader?.id
      const waiting = [...pending]
      leader = { id, since }
      // First tell a new leader (new to us, but not the first) what the old one knew of this tab,
      // so this tab's subscriptions see the writes retried below.
      if (previous != null) reintroduce()
      for (const [callId, entry] of waiting) {
        if (entry.takenBy != null && !CALLS[entry.method].retrySafe) {
          pending.delete(callId)
          entry.reject(new LeaderChangedError(undefined, { method: entry.method, outcome: 'unknown', leader: entry.takenBy }))
          continue
        }
        entry.takenBy = undefined
        post(callId, entry)
      }
    }
  }
}
