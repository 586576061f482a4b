/**
 * The one mechanism every hook uses: a watch that starts when a component mounts (or its input
 * changes), feeds values into React state, and stops when it unmounts (or the input changes).
 */
import { useEffect, useState } from 'react'
import type { KilnError } from '../errors.js'

/** What every Kiln hook returns. */
export interface KilnResult<T> {
  /** The latest value; undefined until the first arrives (and again after the input changes). */
  data: T | undefined
  /** True until the first value or error for the current input. */
  loading: boolean
  /**
   * The last failure (a typed Kiln error: branch on `error.code`); cleared by the next value.
   * A live hook keeps its last `data` when a later read fails.
   */
  error: KilnError | undefined
}

/** How a watch hands over what it reads. */
export interface Feed<T> {
  next: (value: T) => void
  fail: (err: unknown) => void
}

/** Starts a watch; resolves to what stops it (an unsubscribe, a timer's end), if anything. */
export type Watch<T> = (feed: Feed<T>, signal: AbortSignal) => Promise<(() => void | Promise<void>) | undefined>

const LOADING: KilnResult<never> = { data: undefined, loading: true, error: undefined }
const IDLE: KilnResult<never> = { data: undefined, loading: false, error: undefined }

/**
 * Runs `watch` while mounted, anew whenever `key` (the input, as a string) changes; `key`
 * undefined means there is nothing to watch (the result is empty, not loading). Values from a
 * watch that was stopped are dropped, so a slow old read never shows over a new one.
 */
export function useWatch<T> (deps: readonly unknown[], key: string | undefined, watch: Watch<T>): KilnResult<T> {
  const [state, setState] = useState<{ key: string | undefined, result: KilnResult<T> }>({ key, result: key == null ? IDLE : LOADING })
  useEffect(() => {
    if (key == null) return
    const abort = new AbortController()
    const feed: Feed<T> = {
      next: (data) => { if (!abort.signal.aborted) setState({ key, result: { data, loading: false, error: undefined } }) },
      fail: (err) => {
        if (abort.signal.aborted) return
        // Every Kiln call rejects with a KilnError (the error wire rebuilds them in the page).
        setState((prev) => ({ key, result: { data: prev.key === key ? prev.result.data : undefined, loading: false, error: err as KilnError } }))
      }
    }
    let stop: (() => void | Promise<void>) | undefined
    watch(feed, abort.signal).then((stopper) => {
      if (abort.signal.aborted) void end(stopper)
      else stop = stopper
    }, feed.fail)
    return () => {
      abort.abort()
      void end(stop)
    }
    // `key` stands for the input: callers pass objects that are new on every render.
  }, [...deps, key])
  if (key == null) return IDLE
  return state.key === key ? state.result : LOADING
}

/** Stops a watch. A stop that fails (the connection closed first) has nothing left to stop. */
async function end (stop: (() => void | Promise<void>) | undefined): Promise<void> {
  try { await stop?.() } catch {}
}

/**
 * A re-read that, asked while one runs, runs once more after it, never twice at once: a burst of
 * changes is one re-read after the current one, and results arrive in order. A failed one goes to
 * `fail`; the next is still made.
 */
export function coalesced (task: () => Promise<void>, fail: (err: unknown) => void): () => void {
  let running = false
  let again = false
  const run = (): void => {
    if (running) { again = true; return }
    running = true
    void task().catch(fail).finally(() => {
      running = false
      if (again) { again = false; run() }
    })
  }
  return run
}

/** Calls `listener` on each of `events` of `target` until the returned stop is called. */
export function on (target: EventTarget, events: string[], listener: () => void): () => void {
  for (const event of events) target.addEventListener(event, listener)
  return () => { for (const event of events) target.removeEventListener(event, listener) }
}

/** Calls `listener` every `intervalMs` until the returned stop is called: for what the worker does not push. */
export function every (intervalMs: number, listener: () => void): () => void {
  const timer = setInterval(listener, intervalMs)
  return () => { clearInterval(timer) }
}
