/*
 * The size of libuv's thread pool, which runs every argon2id hash (and Django's scrypt and PBKDF2
 * ones) besides the file and DNS work Node gives it. libuv's default is 4 threads whatever the
 * machine: on 2 cores, 4 hashes share them and each evicts the others' 19 MiB from the caches
 * (raw argon2id made ~10 % more hashes a second there with 2 threads than with 4); on 16 cores,
 * logins could use only 4. One thread per core, shared among the processes of a cluster, fits
 * both. CommonJS, because the size must be set before the pool's first use and loading an ES
 * module already uses it: only a CommonJS entry (cli/tessera.cts) runs early enough.
 */

let chosenHere = false

/** Pool threads for each of `processes` processes sharing `cores` cores: their share, and at least 2. */
function defaultThreadpoolSize(cores: number, processes = 1): number {
  return Math.max(2, Math.ceil(cores / Math.max(1, processes)))
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
