/*
 * The size of libuv's thread pool, which runs every argon2id hash (and Django's scrypt and PBKDF2
 * ones) besides the file and DNS work Node gives it. libuv makes it 4 threads whatever the
 * machine, so on 16 cores logins could use only 4 of them. Tessera keeps those 4 and adds a
 * thread for each core beyond them that the process has to itself (a cluster's workers share the
 * cores). Not fewer than 4: on 2 cores a pool of 2 made raw argon2id 10–15 % faster, but not
 * Tessera's logins, whose main thread then cost more per login, competing with the two hashing
 * threads for both cores (README, Running in production). CommonJS, because the size must be set before
 * the pool's first use and loading an ES module already uses it: only a CommonJS entry
 * (cli/tessera.cts) runs early enough.
 */

const LIBUV_DEFAULT = 4
let chosenHere = false

/** Pool threads for each of `processes` processes sharing `cores` cores: their share, and at least libuv's 4. */
function defaultThreadpoolSize(cores: number, processes = 1): number {
  return Math.max(LIBUV_DEFAULT, Math.ceil(cores / Math.max(1, processes)))
}

/** Sets UV_THREADPOOL_SIZE to the default for one process on `cores` cores, unless the environment already sets it. */
function chooseThreadpoolSize(cores: number, env: NodeJS.ProcessEnv = process.env): void {
  if (env.UV_THREADPOOL_SIZE?.trim()) return
  env.UV_THREADPOOL_SIZE = String(defaultThreadpoolSize(cores))
  chosenHere = true
}

/**
 * What the environment of each of `workers` cluster workers on `cores` cores needs for its pool to
 * be its share: nothing when the operator chose the size (or no entry chose one).
 */
function workerThreadpoolEnv(cores: number, workers: number): Record<string, string> {
  return chosenHere ? { UV_THREADPOOL_SIZE: String(defaultThreadpoolSize(cores, workers)) } : {}
}

export = { defaultThreadpoolSize, chooseThreadpoolSize, workerThreadpoolEnv }
