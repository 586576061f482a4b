/**
 * What Node 20 lacks and libp2p 3 uses. Node 22 and browsers have both, so there this does nothing:
 * - `Promise.withResolvers` (ES2024; Node 22): libp2p's streams and muxers call it on every stream.
 * - a global `WebSocket` (Node 22 has one by default): @libp2p/websockets dials with it, so without
 *   it a server peer listens but cannot reach its bootstrap peers. `ws` is what @libp2p/websockets
 *   already uses to listen, so dialing and listening share one implementation.
 * Only missing built-ins are filled, with their standard behaviour; nothing present is replaced.
 * Node 20 has been past end-of-life since April 2026; this keeps `kiln serve` working on machines
 * that still have it (README, "Node versions").
 */
export async function fillNode20Builtins (): Promise<void> {
  const promise = Promise as PromiseConstructor & { withResolvers?: unknown }
  if (typeof promise.withResolvers !== 'function') define(Promise, 'withResolvers', withResolvers)
  if (typeof globalThis.WebSocket !== 'function') {
    const { WebSocket } = await import('ws')
    define(globalThis, 'WebSocket', WebSocket)
  }
}

interface Resolvers<T> { promise: Promise<T>, resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }

// As the spec defines it: a new promise of `this` (Promise or a subclass) and its two functions.
function withResolvers<T> (this: PromiseConstructor): Resolvers<T> {
  let resolve!: Resolvers<T>['resolve']
  let reject!: Resolvers<T>['reject']
  const promise = new this<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

// Writable, configurable and not enumerable, as built-in methods and globals are.
function define (target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false })
}
