import * as Comlink from 'comlink'
import { errorToPlain, type KilnErrorLike } from '../errors.js'
import type { KilnApi } from '../node/api.js'
import type { StreamSnapshot } from '../node/snapshot.js'
import type { StreamQuery } from '../store/store.js'
import { PLAIN_METHODS, type PlainMethod, type ReplyMessage, type RequestMessage } from './fallback-protocol.js'

/** Set by the script-tag (IIFE) build: the URL of kiln.iife.js, to find the worker next to it. */
declare const __kilnScriptUrl: string | undefined

export interface LeaderInit {
  name: string
  /** This tab's client id: replies carry it as `from`. */
  clientId: string
  workerUrl?: string | URL
  send: (message: ReplyMessage) => void
}

export interface Leader {
  handle: (message: RequestMessage) => void
}

/** One tab served by the worker: its own MessagePort and connection, as if it had its own SharedWorker port. */
interface Served {
  remote: Comlink.Remote<KilnApi>
  port: MessagePort
  /** The tab's subscription numbers → the worker's subscription ids. */
  subscriptions: Map<number, Promise<number>>
  greeted: boolean
  watchesClosed: boolean
}

const plainMethods: ReadonlySet<string> = new Set(PLAIN_METHODS)

/**
 * The leader tab's half of the fallback: starts the node in a dedicated worker and serves every
 * tab's calls, its own included. Each tab gets its own MessagePort to the worker, so the node
 * counts it as a client and drops its subscriptions when its tab lock frees, exactly as the
 * SharedWorker does.
 */
export function startLeader ({ name, clientId, workerUrl, send }: LeaderInit): Leader {
  const worker = openDedicatedWorker(name, workerUrl)
  const served = new Map<string, Served>()

  const serve = (client: string): Served => {
    const known = served.get(client)
    if (known != null) return known
    const { port1, port2 } = new MessageChannel()
    worker.postMessage({ kilnConnect: port2 }, [port2])
    const entry: Served = { remote: Comlink.wrap<KilnApi>(port1), port: port1, subscriptions: new Map(), greeted: false, watchesClosed: false }
    served.set(client, entry)
    // The tab holds `kiln-tab:<id>` while it lives; once we get the lock it is gone (the worker
    // has dropped its subscriptions through the same lock): let go of its port.
    void navigator.locks.request(`kiln-tab:${client}`, async () => { release(client) })
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
        if (!plainMethods.has(method)) return Promise.reject(new TypeError(`Unknown Kiln call ${method}`))
        const call = entry.remote[method as PlainMethod] as (...a: unknown[]) => Promise<unknown>
        return call(...args)
      }
    }
  }

  /** Ends a connection whose tab closed its Kiln but lives on (its lock will not free). */
  const bye = async (client: string): Promise<void> => {
    const entry = served.get(client)
    if (entry == null) return
    const ids = await Promise.allSettled(entry.subscriptions.values())
    await Promise.all(ids.flatMap((r) => r.status === 'fulfilled' ? [entry.remote.unsubscribe(r.value)] : []))
    release(client)
  }

  return {
    handle (message) {
      if (message.kind === 'bye') {
        bye(message.from).catch((err: unknown) => { reportError(err) })
        return
      }
      const { from: client, id } = message
      // Acknowledge first, then post to the worker in this same task: a call the follower never
      // saw acknowledged cannot have reached the node, so it may safely go to the next leader.
      send({ kind: 'ack', to: client, from: clientId, id })
      run(client, message.method, message.args)
        .then((value) => { send({ kind: 'result', to: client, from: clientId, id, value: message.method === 'subscribe' ? undefined : value }) })
        // The call failed, or its result could not be sent (not cloneable): either way the caller hears.
        .catch((err: unknown) => { send({ kind: 'error', to: client, from: clientId, id, error: errorToPlain(err) }) })
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

function openDedicatedWorker (name: string, workerUrl?: string | URL): Worker {
  const options: WorkerOptions = { type: 'module', name: `kiln:${name}` }
  if (workerUrl != null) return new Worker(workerUrl, options)
  if (typeof __kilnScriptUrl === 'string') return new Worker(new URL('kiln-worker.js', __kilnScriptUrl), options)
  // Bundlers (and vite in development) see this pattern and ship the worker next to the code.
  return new Worker(new URL('../../worker/kiln-worker.ts', import.meta.url), { type: 'module', name: `kiln:${name}` })
}
