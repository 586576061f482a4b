/**
 * Runs tasks one at a time per key (a stream id), in arrival order; different keys run
 * concurrently. Writes to one stream must not interleave: each builds on the previous tip.
 */
export interface WriteQueue {
  run: <T>(key: string, task: () => Promise<T>) => Promise<T>
  /** Resolves when every queued task has settled. */
  drain: () => Promise<void>
}

export function createWriteQueue (): WriteQueue {
  const tails = new Map<string, Promise<unknown>>()
  return {
    async run<T> (key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve()
      const result = previous.then(task, task)
      const tail = result.catch(() => {})
      tails.set(key, tail)
      void tail.then(() => { if (tails.get(key) === tail) tails.delete(key) })
      return await result
    },
    async drain () {
      await Promise.all([...tails.values()])
    }
  }
}
