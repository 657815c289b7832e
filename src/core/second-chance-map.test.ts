import { describe, expect, it } from 'vitest'
import { SecondChanceMap } from './second-chance-map.js'

type Value = { n: number; referenced?: boolean }
const value = (n: number): Value => ({ n })

describe('SecondChanceMap', () => {
  it('refuses a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new SecondChanceMap(size), String(size)).toThrow(RangeError)
    }
  })

  it('never holds more than its size, evicting the oldest unread entry first', () => {
    const evicted: string[] = []
    const map = new SecondChanceMap<string, Value>(3, (_, key) => evicted.push(key))
    for (const key of ['a', 'b', 'c']) map.set(key, value(0))
    map.get('a')
    map.set('d', value(0))
    expect(evicted).toEqual(['b'])
    expect(map.size).toBe(3)
    // a's mark was cleared as the sweep passed it: it goes before the entries read since.
    map.get('c')
    map.get('d')
    map.set('e', value(0))
    expect(evicted).toEqual(['b', 'a'])
    for (let i = 0; i < 100; i++) map.set(`k${i}`, value(i))
    expect(map.size).toBe(3)
  })

  it('keeps entries that are read while others come and go (a hot set beside a scan)', () => {
    const map = new SecondChanceMap<string, Value>(10)
    for (const key of ['hot1', 'hot2']) map.set(key, value(0))
    for (let i = 0; i < 1000; i++) {
      map.get('hot1')
      map.get('hot2')
      map.set(`scan${i}`, value(i))
    }
    expect(map.get('hot1')).toBeDefined()
    expect(map.get('hot2')).toBeDefined()
  })

  it('does not evict the entry just set, even when every other one was read', () => {
    const map = new SecondChanceMap<string, Value>(2)
    map.set('a', value(1))
    map.set('b', value(2))
    map.get('a')
    map.get('b')
    map.set('c', value(3))
    expect(map.get('c')?.n).toBe(3)
    expect(map.size).toBe(2)
  })

  it('reports evictions only: not deletes, replacements or clear()', () => {
    const evicted: number[] = []
    const map = new SecondChanceMap<string, Value>(2, (v) => evicted.push(v.n))
    map.set('a', value(1))
    expect(map.set('a', value(2))?.n).toBe(1)
    expect(map.delete('a')?.n).toBe(2)
    expect(map.delete('a')).toBeUndefined()
    map.set('x', value(3))
    map.clear()
    expect(map.size).toBe(0)
    expect(evicted).toEqual([])
  })

  it('peek() tells without counting as a read', () => {
    const map = new SecondChanceMap<string, Value>(2)
    map.set('a', value(1))
    map.set('b', value(2))
    expect(map.peek('a')?.n).toBe(1)
    expect(map.peek('z')).toBeUndefined()
    map.set('c', value(3))
    expect(map.peek('a')).toBeUndefined()
    expect(map.peek('b')?.n).toBe(2)
  })
})
