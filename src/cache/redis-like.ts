/**
 * The few Redis commands and events Tessera uses, typed by what it calls rather than by a client
 * library, so an ioredis client fits and a test can pass a fake. Each function takes only the
 * slice it needs (`Pick<RedisLike, 'eval' | 'del'>`).
 */
export interface RedisLike {
  /** ioredis' status; `'ready'` once connected and answering. */
  readonly status: string
  /** Runs a Lua script atomically: `numKeys` keys, then arguments. */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>
  del(key: string): Promise<number>
  publish(channel: string, message: string): Promise<number>
  /** Resolves once the server has confirmed the subscription. */
  subscribe(channel: string): Promise<unknown>
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'ready' | 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  off(event: 'message', listener: (channel: string, message: string) => void): unknown
  off(event: 'ready' | 'close', listener: () => void): unknown
  off(event: 'error', listener: (error: Error) => void): unknown
}

/** Where the Redis adapters say that Redis went away or came back. */
export interface RedisLog {
  warn(details: object, message: string): void
  info(details: object, message: string): void
}
