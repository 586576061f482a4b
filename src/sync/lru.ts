/** A bounded map that forgets the least recently set key first (Map keeps insertion order). */
export interface Lru<V> {
  get: (key: string) => V | undefined
  set: (key: string, value: V) => void
  delete: (key: string) => void
  readonly size: number
}

export function createLru<V> (capacity: number): Lru<V> {
  const entries = new Map<string, V>()
  return {
    get: (key) => entries.get(key),
    set (key, value) {
      entries.delete(key)
      entries.set(key, value)
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string)
    },
    delete (key) { entries.delete(key) },
    get size () { return entries.size }
  }
}
