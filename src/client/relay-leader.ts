import * as Comlink from 'comlink'
import { type WorkerApi, isPlainCall } from '../api/calls.js'
import { tabLock } from '../api/names.js'
import type { StreamQuery, StreamSnapshot } from '../api/types.js'
import { InvalidInputError, type KilnErrorLike, errorToPlain } from '../errors.js'
import type { CallMessage, ReplyMessage } from './relay-protocol.js'

export interface LeaderInit {
  /** This tab's client id: replies carry it as `from`. */
  clientId: string
  /** A new port to the node's worker, one per tab served (the worker serves each as a client). */
  openPort: () => MessagePort
  send: (message: ReplyMessage) => void
  /** Calls `gone` once the tab of `client` has closed (by default: when its tab lock frees). */
  watchGone?: (client: string, gone: () => void) => void
  /** Where a failure nobody waits for goes. */
  onError?: (err: unknown) => void
}

export interface Leader {
  handle: (message: CallMessage) => void
}

/** One tab served by the worker: its own MessagePort and connection, as if it had its own SharedWorker port. */
interface Served {
  remote: Comlink.Remote<WorkerApi>
  port: MessagePort
  /** The tab's subscription numbers → the worker's subscription ids. */
  subscriptions: Map<number, Promise<number>>
  greeted: boolean
  watchesClosed: boolean
}

// The tab holds `kiln-tab:<id>` while it lives; once we get the lock it is gone.
const watchTabLock = (client: string, gone: () => void): void => {
  void navigator.locks.request(tabLock(client), async () => { gone() })
}

/**
 * The leader tab's half of the fallback: serves every tab's calls, its own included, on the node
 * in the dedicated worker. Each tab gets its own MessagePort to the worker, so the node counts it
 * as a client and drops its subscriptions when it says bye or its tab lock frees, exactly as the
 * SharedWorker does.
 */
export function startLeader ({ clientId, openPort, send, watchGone = watchTabLock, onError = reportError }: LeaderInit): Leader {
  const served = new Map<string, Served>()

  const serve = (client: string): Served => {
    const known = served.get(client)
    if (known != null) return known
    const port = openPort()
    const entry: Served = { remote: Comlink.wrap<WorkerApi>(port), port, subscriptions: new Map(), greeted: false, watchesClosed: false }
    served.set(client, entry)
    // The worker drops the tab's subscriptions through the same lock: let go of its port.
    watchGone(client, () => { release(client) })
    return entry
  }

  const release = (client: string): void => {
    const entry = served.get(client)
    if (entry == null) return
    served.delete(client)
    entry.remote[Comlink.releaseProxy]()
    entry.port.close()
  }

  /** Makes the call on the worker. Runs synchronously up to the worker post (see `handle`). */
  const run = (client: string, method: string, args: unknown[]): Promise<unknown> => {
    if (method === 'bye') {
      // A tab that closed its Kiln (it may live on): its connection ends now, not when it closes.
      const entry = served.get(client)
      if (entry == null) return Promise.resolve()
      return entry.remote.bye().finally(() => { release(client) })
    }
    const entry = serve(client)
    const reply = (message: DistributiveOmit<ReplyMessage, 'to' | 'from'>): void => { send({ ...message, to: client, from: clientId } as ReplyMessage) }
    switch (method) {
      case 'hello':
        if (entry.greeted) return Promise.resolve()
        entry.greeted = true
        return entry.remote.hello(client)
      case 'onClosed':
        if (entry.watchesClosed) return Promise.resolve()
        entry.watchesClosed = true
        return entry.remote.onClosed(Comlink.proxy((error: KilnErrorLike) => { reply({ kind: 'closed', error }) }))
      case 'subscribe': {
        const [sub, target] = args as [number, string | StreamQuery]
        let id = entry.subscriptions.get(sub)
        if (id == null) {
          id = entry.remote.subscribe(target, Comlink.proxy((snapshot: StreamSnapshot) => { reply({ kind: 'event', sub, snapshot }) }))
          entry.subscriptions.set(sub, id)
          // A refused subscribe leaves nothing to undo; its error reaches the caller through `id`.
          id.catch(() => { entry.subscriptions.delete(sub) })
        }
        return id
      }
      case 'unsubscribe': {
        const [sub] = args as [number]
        const id = entry.subscriptions.get(sub)
        entry.subscriptions.delete(sub)
        return id == null ? Promise.resolve() : id.then(async (workerId) => { await entry.remote.unsubscribe(workerId) })
      }
      default: {
        // A tab of another Kiln version may ask for a call this one does not know.
        if (!isPlainCall(method)) return Promise.reject(new InvalidInputError(`Unknown Kiln call ${method}`, { method }))
        const call = entry.remote[method] as (...a: unknown[]) => Promise<unknown>
        return call(...args)
      }
    }
  }

  return {
    handle (message) {
      const { from: client, id } = message
      // Acknowledge first, then post to the worker in this same task: a call the follower never
      // saw acknowledged cannot have reached the node, so it may safely go to the next leader.
      send({ kind: 'ack', to: client, from: clientId, id })
      // A tab of another Kiln version may send arguments of another shape: refuse them, typed, rather than throw here.
      const answer = Array.isArray(message.args)
        ? run(client, message.method, message.args)
        : Promise.reject(new InvalidInputError('Kiln call arguments must be a list', { method: message.method }))
      answer
        .then((value) => { send({ kind: 'result', to: client, from: clientId, id, value: message.method === 'subscribe' ? undefined : value }) })
        // The call failed, or its result could not be sent (not cloneable): either way the caller hears.
        .catch((err: unknown) => {
          try {
            send({ kind: 'error', to: client, from: clientId, id, error: errorToPlain(err) })
          } catch (sendErr) {
            onError(sendErr)
          }
        })
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
