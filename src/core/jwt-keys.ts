import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose'
import type { Store } from '../store/store.js'
import type { Clock } from './clock.js'

/** A signing key as kept in the database: Ed25519, named by `kid`. */
interface StoredKey {
  kid: string
  privateJwk: JWK
  publicJwk: JWK
  createdAt: string
  /** When a newer key took over signing; the key still verifies until its tokens have expired. */
  retiredAt: string | null
}

interface LoadedKey {
  kid: string
  privateKey: CryptoKey
  publicKey: CryptoKey
  publicJwk: JWK
  retiredAt: Date | null
}

const SETTING = 'jwt.signing_keys'
// How often an unknown `kid` may trigger a reload (another process may have rotated).
const RELOAD_INTERVAL_MS = 30_000
// Keys are read again this often, so every process signs with a rotated key within a minute.
const MAX_AGE_MS = 60_000

/**
 * The server's JWT signing keys: generated on first use and kept in the database (so a new
 * install needs no secret set by hand and every process shares them), rotated on demand.
 */
export class JwtKeyring {
  #keys: LoadedKey[] | null = null
  #loading: Promise<LoadedKey[]> | null = null
  #loadedAt = 0

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** Retired keys verify for this long after retirement: the longest token lifetime. */
    private readonly retiredKeepSeconds: () => number,
  ) {}

  /** The key that signs new tokens. */
  async signingKey(): Promise<LoadedKey> {
    const keys = await this.#all()
    return keys.find((key) => key.retiredAt === null) ?? keys[keys.length - 1]!
  }

  /** The public key named `kid`, or null; reloads once in a while so rotations elsewhere are seen. */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    let found = (await this.#all()).find((key) => key.kid === kid)
    if (!found && Date.now() - this.#loadedAt > RELOAD_INTERVAL_MS) {
      this.#keys = null
      found = (await this.#all()).find((key) => key.kid === kid)
    }
    return found && this.#stillVerifies(found) ? found.publicKey : null
  }

  /** The public keys that still verify, as a JWKS document. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const keys = (await this.#all()).filter((key) => this.#stillVerifies(key))
    return { keys: keys.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: 'EdDSA', use: 'sig' })) }
  }

  /** Makes a new signing key; older keys keep verifying until their tokens have expired. Returns the new kid. */
  async rotate(): Promise<string> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.store.getSetting(SETTING)
      const stored: StoredKey[] = current ? (JSON.parse(current) as StoredKey[]) : []
      const now = this.clock.now().toISOString()
      const fresh = await newKey(now)
      const next = [...stored.map((key) => ({ ...key, retiredAt: key.retiredAt ?? now })), fresh]
      const written = current
        ? await this.store.replaceSetting(SETTING, current, JSON.stringify(next))
        : (await this.store.putSettingIfAbsent(SETTING, JSON.stringify(next))) === JSON.stringify(next)
      if (written) {
        this.#keys = null
        return fresh.kid
      }
    }
    throw new Error('tessera: could not rotate the signing key: the key set kept changing')
  }

  #stillVerifies(key: LoadedKey): boolean {
    if (key.retiredAt === null) return true
    return this.clock.now().getTime() < key.retiredAt.getTime() + this.retiredKeepSeconds() * 1000
  }

  async #all(): Promise<LoadedKey[]> {
    if (this.#keys && Date.now() - this.#loadedAt < MAX_AGE_MS) return this.#keys
    this.#loading ??= this.#load().finally(() => {
      this.#loading = null
    })
    return this.#loading
  }

  async #load(): Promise<LoadedKey[]> {
    let raw = await this.store.getSetting(SETTING)
    // Two processes starting at once both generate; the database keeps the first, and both use it.
    if (!raw) raw = await this.store.putSettingIfAbsent(SETTING, JSON.stringify([await newKey(this.clock.now().toISOString())]))
    const stored = JSON.parse(raw) as StoredKey[]
    const keys = await Promise.all(
      stored.map(async (key) => ({
        kid: key.kid,
        privateKey: (await importJWK(key.privateJwk, 'EdDSA')) as CryptoKey,
        publicKey: (await importJWK(key.publicJwk, 'EdDSA')) as CryptoKey,
        publicJwk: key.publicJwk,
        retiredAt: key.retiredAt ? new Date(key.retiredAt) : null,
      })),
    )
    this.#keys = keys
    this.#loadedAt = Date.now()
    return keys
  }
}

async function newKey(createdAt: string): Promise<StoredKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true })
  const publicJwk = await exportJWK(publicKey)
  return {
    kid: `${createdAt.slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`,
    privateJwk: await exportJWK(privateKey),
    publicJwk,
    createdAt,
    retiredAt: null,
  }
}
