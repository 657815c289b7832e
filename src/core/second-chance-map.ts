/** A value a `SecondChanceMap` can hold: the map marks it when it is read. */
export interface Referenced {
  /** Set by the map on every read, cleared when eviction passes over it; not for the holder to use. */
  referenced?: boolean
}

/**
 * A Map bounded to `max` entries that evicts by second chance (the CLOCK approximation of LRU):
 * a read only marks its value, and when the map is full the oldest unmarked entry goes, marked
 * ones being cleared and moved to the back as the sweep passes them.
 *
 * Why not an LRU: it reorders a linked list on every read, and on a hot path where every read
 * hits a different entry each reorder touches cold memory. Here a hit is one hash lookup and one
 * write to the value it returns, which the caller reads next anyway; the reordering is paid only
 * when something is evicted.
 */
export class SecondChanceMap<K, V extends Referenced> {
  readonly #entries = new Map<K, V>()
  readonly #max: number
  readonly #onEvict: ((value: V, key: K) => void) | undefined

  /** `onEvict` hears of entries dropped to make room, not of those deleted or replaced. */
  constructor(max: number, onEvict?: (value: V, key: K) => void) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError('tessera: cache size must be a positive integer')
    this.#max = max
    this.#onEvict = onEvict
  }

  get size(): number {
    return this.#entries.size
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) value.referenced = true
    return value
  }

  /** The value of `key`, without counting as a read: it does not mark the value. */
  peek(key: K): V | undefined {
    return this.#entries.get(key)
  }

  /** Stores `value` under `key` as unread; the previous value of `key`, if any, is returned and not evicted. */
  set(key: K, value: V): V | undefined {
    const previous = this.#entries.get(key)
    value.referenced = false
    // A replaced key is moved to the back, as a new one would be.
    if (previous !== undefined) this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.#max) this.#evictOne(key)
    return previous
  }

  /** The value removed, if there was one. */
  delete(key: K): V | undefined {
    const value = this.#entries.get(key)
    if (value !== undefined) this.#entries.delete(key)
    return value
  }

  clear(): void {
    this.#entries.clear()
  }

  /** Evicts the oldest unmarked entry but `spare`, the one just set: it is not dropped before it could be read. */
  #evictOne(spare: K): void {
    // Map iterates in insertion order, entries moved to the back included, so after at most one
    // pass over the marked ones the sweep reaches an unmarked entry.
    for (const [key, value] of this.#entries) {
      this.#entries.delete(key)
      if (value.referenced || key === spare) {
        value.referenced = false
        this.#entries.set(key, value)
        continue
      }
      this.#onEvict?.(value, key)
      return
    }
  }
}
