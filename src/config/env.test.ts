import { describe, expect, it } from 'vitest'
import { parseDuration, parseRateLimit } from './durations.js'
import { ENVIRONMENT_HELP, loadConfig } from './env.js'

describe('loadConfig()', () => {
  it('has the documented defaults for an empty environment', () => {
    expect(loadConfig({})).toEqual({
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: 'sqlite:./tessera.db',
      redisUrl: null,
      publicUrl: 'http://127.0.0.1:8000',
      profiles: ['canonical', 'drf', 'conduit'],
      prefixes: { djoser: '/auth', simplejwt: '/api/token', 'dj-rest-auth': '/rest-auth' },
      corsOrigins: [],
      logLevel: 'info',
      cacheSize: 100_000,
      smtpUrl: null,
      mailFrom: 'Tessera <no-reply@localhost>',
      introspectionSecret: null,
      settings: { publicUrl: 'http://127.0.0.1:8000', jwtIssuer: 'http://127.0.0.1:8000' },
    })
  })

  it('reads every variable', () => {
    const config = loadConfig({
      HOST: '0.0.0.0',
      PORT: '9000',
      DATABASE_URL: 'sqlite:/var/lib/tessera.db',
      REDIS_URL: 'redis://:pw@127.0.0.1:6379/2',
      PUBLIC_URL: 'https://auth.example.com/',
      PROFILES: 'drf, canonical, djoser, simplejwt, dj-rest-auth',
      DJOSER_PREFIX: '/api/v1/auth/',
      SIMPLEJWT_PREFIX: '/api/jwt',
      DJ_REST_AUTH_PREFIX: '/dj-rest-auth',
      PASSWORD_RESET_CONFIRM_URL: 'https://app.example.com/#/reset/{uid}/{token}',
      ACTIVATION_URL: 'activate/{uid}/{token}',
      CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      LOG_LEVEL: 'warn',
      TOKEN_CACHE_SIZE: '0',
      TOKEN_TTL: '7d',
      TOKEN_MAX_AGE: '2w',
      LOGIN_THROTTLE: '5/15m',
      ANON_THROTTLE: 'off',
      MAX_SESSIONS_PER_USER: '10',
      ACCESS_TTL: '5m',
      REFRESH_TTL: '7d',
      CONDUIT_TOKEN_TTL: '30d',
      REFRESH_GRACE: '0',
      JWT_AUDIENCE: 'api',
      RESET_TTL: '30m',
      RESET_URL: 'https://app.example.com/reset?token={token}',
      VERIFY_URL: 'https://app.example.com/verify',
      REQUIRE_VERIFIED_EMAIL: 'yes',
      AUDIT_RETENTION: '30d',
      SMTP_URL: 'smtp://127.0.0.1:2525',
      MAIL_FROM: 'Auth <auth@example.com>',
      INTROSPECTION_SECRET: 's3cret',
    })
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 9000,
      databaseUrl: 'sqlite:/var/lib/tessera.db',
      redisUrl: 'redis://:pw@127.0.0.1:6379/2',
      publicUrl: 'https://auth.example.com',
      profiles: ['drf', 'canonical', 'djoser', 'simplejwt', 'dj-rest-auth'],
      prefixes: { djoser: '/api/v1/auth', simplejwt: '/api/jwt', 'dj-rest-auth': '/dj-rest-auth' },
      corsOrigins: ['https://app.example.com', 'https://admin.example.com'],
      logLevel: 'warn',
      cacheSize: 0,
      smtpUrl: 'smtp://127.0.0.1:2525',
      mailFrom: 'Auth <auth@example.com>',
      introspectionSecret: 's3cret',
      settings: {
        tokenIdleSeconds: 7 * 86_400,
        tokenMaxAgeSeconds: 14 * 86_400,
        loginThrottle: { limit: 5, windowSeconds: 900 },
        addressThrottle: null,
        maxSessionsPerUser: 10,
        publicUrl: 'https://auth.example.com',
        jwtIssuer: 'https://auth.example.com',
        jwtAudience: 'api',
        accessTtlSeconds: 300,
        refreshTtlSeconds: 7 * 86_400,
        conduitTokenTtlSeconds: 30 * 86_400,
        refreshGraceSeconds: 0,
        resetTtlSeconds: 1800,
        resetUrl: 'https://app.example.com/reset?token={token}',
        verifyUrl: 'https://app.example.com/verify',
        passwordResetConfirmUrl: 'https://app.example.com/#/reset/{uid}/{token}',
        activationUrl: 'activate/{uid}/{token}',
        requireVerifiedEmail: true,
        auditRetentionSeconds: 30 * 86_400,
      },
    })
  })

  it('refuses djoser at /auth beside canonical, and prefixes or link templates that are not paths', () => {
    expect(() => loadConfig({ PROFILES: 'canonical,djoser' })).toThrow(/DJOSER_PREFIX/)
    expect(loadConfig({ PROFILES: 'djoser,drf' }).prefixes.djoser).toBe('/auth')
    expect(loadConfig({ PROFILES: 'canonical,djoser', DJOSER_PREFIX: '/djoser' }).prefixes.djoser).toBe('/djoser')
    for (const value of ['auth', '/a b', '/', 'https://x/auth', '/a?b']) {
      expect(() => loadConfig({ DJOSER_PREFIX: value })).toThrow(/DJOSER_PREFIX/)
    }
    expect(() => loadConfig({ PASSWORD_RESET_CONFIRM_URL: 'reset/{uid}' })).toThrow(/PASSWORD_RESET_CONFIRM_URL/)
    expect(() => loadConfig({ ACTIVATION_URL: 'javascript:{token}' })).toThrow(/ACTIVATION_URL/)
    expect(() => loadConfig({ PROFILES: 'canonical,allauth' })).toThrow(/PROFILES/)
  })

  it('refuses an AUDIT_RETENTION that is not a duration, naming it', () => {
    for (const value of ['forever', '0', '-1d', '90 days']) {
      expect(() => loadConfig({ AUDIT_RETENTION: value })).toThrow(/AUDIT_RETENTION/)
    }
    expect(loadConfig({ AUDIT_RETENTION: '2w' }).settings.auditRetentionSeconds).toBe(14 * 86_400)
  })

  it('builds PUBLIC_URL from HOST and PORT, bracketing an IPv6 host', () => {
    expect(loadConfig({ HOST: '::1', PORT: '8080' }).publicUrl).toBe('http://[::1]:8080')
    expect(loadConfig({ PORT: '0' }).port).toBe(0)
  })

  it('treats blank variables as unset', () => {
    expect(loadConfig({ HOST: ' ', PORT: '', DATABASE_URL: '  ', LOG_LEVEL: '', TOKEN_CACHE_SIZE: ' ' })).toMatchObject({
      host: '127.0.0.1',
      port: 8000,
      databaseUrl: 'sqlite:./tessera.db',
      logLevel: 'info',
      cacheSize: 100_000,
    })
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PROFILES', 'drf,soap'],
    ['PROFILES', 'DRF'],
    ['TOKEN_CACHE_SIZE', '-5'],
    ['TOKEN_CACHE_SIZE', 'lots'],
    ['TOKEN_TTL', 'forever'],
    ['TOKEN_TTL', '0'],
    ['TOKEN_MAX_AGE', '-1d'],
    ['LOGIN_THROTTLE', '10'],
    ['LOGIN_THROTTLE', 'ten/15m'],
    ['LOGIN_THROTTLE', '10/15x'],
    ['LOGIN_THROTTLE', '0/1m'],
    ['LOGIN_THROTTLE', '10/0m'],
    ['ANON_THROTTLE', '300 per minute'],
    ['MAX_SESSIONS_PER_USER', '0'],
    ['MAX_SESSIONS_PER_USER', '2.5'],
    ['REDIS_URL', '127.0.0.1:6379'],
    ['REDIS_URL', 'http://127.0.0.1:6379'],
  ])('refuses %s=%j with a RangeError naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(RangeError)
    expect(() => loadConfig({ [name]: value })).toThrow(name)
  })

  it('lists every variable it reads in ENVIRONMENT_HELP', () => {
    const documented = ENVIRONMENT_HELP.flatMap(([names]) => names.split(/,\s*/))
    for (const name of ['HOST', 'PORT', 'DATABASE_URL', 'PUBLIC_URL', 'PROFILES', 'CORS_ORIGINS', 'LOG_LEVEL', 'TOKEN_CACHE_SIZE', 'REDIS_URL',
      'TOKEN_TTL', 'TOKEN_MAX_AGE', 'LOGIN_THROTTLE', 'ANON_THROTTLE', 'MAX_SESSIONS_PER_USER']) {
      expect(documented, name).toContain(name)
    }
  })
})

describe('parseDuration()', () => {
  it.each([
    ['90', 90],
    ['30s', 30],
    ['15m', 900],
    ['1h', 3600],
    ['30d', 2_592_000],
    ['2w', 1_209_600],
    ['1.5h', 5400],
    [' 15 M ', 900],
  ])('reads %j as %i seconds', (value, seconds) => {
    expect(parseDuration(value, 'X')).toBe(seconds)
  })

  it.each(['', '0', '0s', '-5m', 'm', '15 minutes', '1h30m', '1e3', 'Infinity'])('refuses %j, naming the variable', (value) => {
    expect(() => parseDuration(value, 'TOKEN_TTL')).toThrow(RangeError)
    expect(() => parseDuration(value, 'TOKEN_TTL')).toThrow(/TOKEN_TTL/)
  })

  // 0.4 passes the "> 0" check and is then rounded to 0: a zero lifetime that the settings check
  // later reports as settings.tokenIdleSeconds, not as the variable that was set.
  it('never returns zero for a duration under half a second', () => {
    let result: number | undefined
    try {
      result = parseDuration('0.4', 'TOKEN_TTL')
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError)
    }
    expect(result === undefined || result >= 1).toBe(true)
  })
})

describe('parseRateLimit()', () => {
  it.each([
    ['10/15m', { limit: 10, windowSeconds: 900 }],
    ['300/1m', { limit: 300, windowSeconds: 60 }],
    ['5/h', { limit: 5, windowSeconds: 3600 }],
    ['5/d', { limit: 5, windowSeconds: 86_400 }],
    ['100/60', { limit: 100, windowSeconds: 60 }],
    [' 3 / 2h ', { limit: 3, windowSeconds: 7200 }],
  ])('reads %j', (value, limit) => {
    expect(parseRateLimit(value, 'X')).toEqual(limit)
  })

  it.each(['off', 'OFF', 'none', '0', ' off '])('reads %j as no limit', (value) => {
    expect(parseRateLimit(value, 'X')).toBeNull()
  })

  it.each(['', '10', '/15m', '-1/15m', '1.5/m', '10/15x', 'ten/m', '10/0'])('refuses %j, naming the variable', (value) => {
    expect(() => parseRateLimit(value, 'LOGIN_THROTTLE')).toThrow(RangeError)
    expect(() => parseRateLimit(value, 'LOGIN_THROTTLE')).toThrow(/LOGIN_THROTTLE/)
  })

  // The window pattern allows ".5m"; the "no leading digit means one unit" rule then prefixes a 1,
  // which turns half a minute into a minute and a half.
  it('reads a window with no leading digit before the point as the number it is', () => {
    let result: ReturnType<typeof parseRateLimit> | undefined
    try {
      result = parseRateLimit('10/.5m', 'LOGIN_THROTTLE')
    } catch (error) {
      expect(error).toBeInstanceOf(RangeError)
    }
    if (result !== undefined) expect(result).toEqual({ limit: 10, windowSeconds: 30 })
  })
})

describe('loadConfig(): social login', () => {
  const google = { id: 'google', preset: 'google', clientId: 'web.apps.example', clientSecret: 'g-secret' }

  it('has no social login without OIDC_PROVIDERS, even with an allowlist', () => {
    expect(loadConfig({}).social).toBeUndefined()
    expect(loadConfig({ OIDC_PROVIDERS: ' ', SOCIAL_REDIRECT_ALLOWLIST: 'https://app.example.com' }).social).toBeUndefined()
    expect(loadConfig({ OIDC_PROVIDERS: '[]' }).social).toBeUndefined()
  })

  it('reads the presets, a custom issuer, scopes and mobile client ids, and the allowlist', () => {
    const providers = [
      google,
      { id: 'github', preset: 'github', clientId: 'Iv1.abc', clientSecret: 'gh-secret' },
      { id: 'work', preset: 'microsoft', tenant: 'contoso.onmicrosoft.com', clientId: 'ms-id', clientSecret: 'ms', name: 'Contoso' },
      { id: 'gitlab', preset: 'gitlab', clientId: 'gl-id', clientSecret: 'gl' },
      {
        id: 'corp_sso',
        issuer: 'https://sso.example.com/realms/main/',
        clientId: 'tessera',
        scopes: 'email profile',
        mobileClientIds: ['ios-app', 'android-app'],
      },
    ]
    const social = loadConfig({
      OIDC_PROVIDERS: JSON.stringify(providers),
      SOCIAL_REDIRECT_ALLOWLIST: 'https://app.example.com, https://admin.example.com/auth/done,com.example.app:/oauth',
    }).social
    expect(social?.redirectAllowlist).toEqual(['https://app.example.com', 'https://admin.example.com/auth/done', 'com.example.app:/oauth'])
    expect(social?.providers).toEqual([
      {
        id: 'google', name: 'Google', protocol: 'oidc', issuer: 'https://accounts.google.com', clientId: 'web.apps.example',
        clientSecret: 'g-secret', scopes: ['openid', 'email', 'profile'], mobileClientIds: [], github: null,
      },
      {
        id: 'github', name: 'GitHub', protocol: 'github', issuer: null, clientId: 'Iv1.abc', clientSecret: 'gh-secret',
        scopes: ['read:user', 'user:email'], mobileClientIds: [],
        github: {
          authorizationUrl: 'https://github.com/login/oauth/authorize',
          tokenUrl: 'https://github.com/login/oauth/access_token',
          apiUrl: 'https://api.github.com',
        },
      },
      {
        id: 'work', name: 'Contoso', protocol: 'oidc', issuer: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
        clientId: 'ms-id', clientSecret: 'ms', scopes: ['openid', 'email', 'profile'], mobileClientIds: [], github: null,
      },
      {
        id: 'gitlab', name: 'GitLab', protocol: 'oidc', issuer: 'https://gitlab.com', clientId: 'gl-id', clientSecret: 'gl',
        scopes: ['openid', 'email', 'profile'], mobileClientIds: [], github: null,
      },
      {
        // The openid scope is added: without it there would be no ID token to check.
        id: 'corp_sso', name: 'corp_sso', protocol: 'oidc', issuer: 'https://sso.example.com/realms/main', clientId: 'tessera',
        clientSecret: null, scopes: ['openid', 'email', 'profile'], mobileClientIds: ['ios-app', 'android-app'], github: null,
      },
    ])
  })

  it('lets GitHub\'s endpoints point at loopback http (a test\'s fake), and Microsoft default to the common tenant', () => {
    const social = loadConfig({
      OIDC_PROVIDERS: JSON.stringify([
        { id: 'github', preset: 'github', clientId: 'c', clientSecret: 's', authorizationUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://localhost:9/token', apiUrl: 'http://127.0.0.1:9/api/' },
        { id: 'microsoft', preset: 'microsoft', clientId: 'm' },
      ]),
    }).social
    expect(social?.providers[0]?.github).toEqual({ authorizationUrl: 'http://127.0.0.1:9/authorize', tokenUrl: 'http://localhost:9/token', apiUrl: 'http://127.0.0.1:9/api' })
    expect(social?.providers[1]?.issuer).toBe('https://login.microsoftonline.com/common/v2.0')
  })

  it.each([
    ['not JSON', '{id: google}'],
    ['not an array', JSON.stringify(google)],
    ['an entry that is not an object', '["google"]'],
    ['an unknown field', JSON.stringify([{ ...google, clientSecrets: 'typo' }])],
    ['a bad id', JSON.stringify([{ ...google, id: 'Google Login' }])],
    ['a reserved id', JSON.stringify([{ ...google, id: 'identities' }])],
    ['an id twice', JSON.stringify([google, google])],
    ['an unknown preset', JSON.stringify([{ ...google, preset: 'facebook' }])],
    ['no clientId', JSON.stringify([{ id: 'google', preset: 'google' }])],
    ['a clientId that is not a string', JSON.stringify([{ ...google, clientId: 42 }])],
    ['GitHub without a secret', JSON.stringify([{ id: 'github', preset: 'github', clientId: 'c' }])],
    ['GitHub with an issuer', JSON.stringify([{ id: 'github', preset: 'github', clientId: 'c', clientSecret: 's', issuer: 'https://github.com' }])],
    ['GitHub endpoints on another preset', JSON.stringify([{ ...google, tokenUrl: 'https://example.com/token' }])],
    ['a tenant on another preset', JSON.stringify([{ ...google, tenant: 'contoso' }])],
    ['no issuer and no preset', JSON.stringify([{ id: 'sso', clientId: 'c' }])],
    ['a plain-http issuer off loopback', JSON.stringify([{ id: 'sso', clientId: 'c', issuer: 'http://sso.example.com' }])],
    ['an issuer that is not a URL', JSON.stringify([{ id: 'sso', clientId: 'c', issuer: 'sso.example.com' }])],
    ['scopes that are not strings', JSON.stringify([{ ...google, scopes: [1, 2] }])],
    ['mobileClientIds that is a string', JSON.stringify([{ ...google, mobileClientIds: 'ios' }])],
  ])('refuses OIDC_PROVIDERS with %s, naming it, and never repeats a secret', (_, value) => {
    expect(() => loadConfig({ OIDC_PROVIDERS: value })).toThrow(RangeError)
    expect(() => loadConfig({ OIDC_PROVIDERS: value })).toThrow(/OIDC_PROVIDERS/)
    expect(() => loadConfig({ OIDC_PROVIDERS: value })).not.toThrow(/g-secret/)
  })

  it.each(['app.example.com', '/auth/done', 'https://*.example.com', 'https://app.example.com/?x=1', 'https://app.example.com/#f',
    'https://user:pw@app.example.com', 'javascript:alert(1)', 'data:text/html,x'])(
    'refuses SOCIAL_REDIRECT_ALLOWLIST entry %j, naming the variable',
    (entry) => {
      expect(() => loadConfig({ SOCIAL_REDIRECT_ALLOWLIST: entry })).toThrow(RangeError)
      expect(() => loadConfig({ SOCIAL_REDIRECT_ALLOWLIST: entry })).toThrow(/SOCIAL_REDIRECT_ALLOWLIST/)
    },
  )

  it('documents both variables in ENVIRONMENT_HELP', () => {
    const documented = ENVIRONMENT_HELP.flatMap(([names]) => names.split(/,\s*/))
    expect(documented).toContain('OIDC_PROVIDERS')
    expect(documented).toContain('SOCIAL_REDIRECT_ALLOWLIST')
  })
})
