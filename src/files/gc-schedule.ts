/**
 * Runs garbage collection now and then: `kiln serve` on its interval, the browser's worker when it
 * is idle. A round that fails is logged and the next one comes as planned; rounds never overlap.
 */
import type { GarbageCollected } from '../api/types.js'
import type { Logger } from '../logger.js'

export interface GcScheduleInit {
  intervalMs: number
  /** A round is put off to the next interval while this says the node is busy with files. */
  isIdle?: () => boolean
  log: Logger
}

/** Starts the rounds (the first one interval from now); returns a stop. */
export function scheduleGarbageCollection (collect: () => Promise<GarbageCollected>, init: GcScheduleInit): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const next = (): void => {
    if (stopped) return
    timer = setTimeout(() => { void round() }, init.intervalMs)
    // Node: a pending round does not keep the process alive (browsers' timers are numbers).
    ;(timer as { unref?: () => void }).unref?.()
  }
  const round = async (): Promise<void> => {
    if (init.isIdle?.() !== false) {
      try {
        const done = await collect()
        init.log('garbage collection removed %d blocks (%d bytes), kept %d', done.removed, done.bytesFreed, done.kept)
      } catch (err) {
        init.log.error('garbage collection failed: %s', (err as Error).message)
      }
    }
    next()
  }
  next()
  return () => {
    stopped = true
    clearTimeout(timer)
  }
}
