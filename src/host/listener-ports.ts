/**
 * A page's listener reaches the worker as a Comlink proxy, which owns a MessagePort to the page.
 * Comlink lets go of that port only when the proxy is garbage-collected, and then waits for the
 * page to answer its release (Comlink issues #647, #673): from a tab that is gone no answer comes,
 * so the port and everything its listener holds stay in the worker. The host closes a listener's
 * port itself once the listener is done: unsubscribed, its call over, or its client gone.
 */
import * as Comlink from 'comlink'

const portOf = new WeakMap<object, MessagePort>()
let tracking = false

/** Wraps Comlink's proxy handler once, so every proxy the worker receives remembers its port. */
export function trackListenerPorts (): void {
  if (tracking) return
  tracking = true
  const standard = Comlink.transferHandlers.get('proxy') as Comlink.TransferHandler<object, MessagePort>
  const tracked: Comlink.TransferHandler<object, MessagePort> = {
    canHandle: (value): value is object => standard.canHandle(value),
    serialize: (value) => standard.serialize(value),
    deserialize: (port) => {
      const remote = standard.deserialize(port)
      portOf.set(remote, port)
      return remote
    }
  }
  Comlink.transferHandlers.set('proxy', tracked as Comlink.TransferHandler<unknown, unknown>)
}

/** Closes the port behind a listener received from a page; anything else is left alone. */
export function releaseListener (listener: unknown): void {
  if ((typeof listener !== 'function' && typeof listener !== 'object') || listener == null) return
  const port = portOf.get(listener)
  if (port == null) return
  portOf.delete(listener)
  port.close()
}
