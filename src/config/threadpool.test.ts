import { describe, expect, it } from 'vitest'
import threadpool from './threadpool.cjs'

describe('the libuv thread pool size', () => {
  it('is one thread per core, shared among a cluster’s processes, and never below libuv’s 4', () => {
    expect(threadpool.defaultThreadpoolSize(2)).toBe(4)
    expect(threadpool.defaultThreadpoolSize(16)).toBe(16)
    expect(threadpool.defaultThreadpoolSize(6)).toBe(6)
    expect(threadpool.defaultThreadpoolSize(1)).toBe(4)
    expect(threadpool.defaultThreadpoolSize(32, 4)).toBe(8)
    expect(threadpool.defaultThreadpoolSize(18, 4)).toBe(5)
    expect(threadpool.defaultThreadpoolSize(16, 16)).toBe(4)
    expect(threadpool.defaultThreadpoolSize(8, 0)).toBe(8)
  })

  it('leaves a size the environment gives alone, and only then hands workers a size of its own', () => {
    const operator: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '7' }
    threadpool.chooseThreadpoolSize(16, operator)
    expect(operator.UV_THREADPOOL_SIZE).toBe('7')
    expect(threadpool.workerThreadpoolEnv(16, 4)).toEqual({})

    const unset: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: ' ' }
    threadpool.chooseThreadpoolSize(16, unset)
    expect(unset.UV_THREADPOOL_SIZE).toBe('16')
    expect(threadpool.workerThreadpoolEnv(32, 4)).toEqual({ UV_THREADPOOL_SIZE: '8' })
  })
})
