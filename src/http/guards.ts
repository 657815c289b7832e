import type { FastifyRequest } from 'fastify'

/** A permission check on an authenticated (or anonymous) request, as DRF's permission classes. */
export type Guard = (request: FastifyRequest) => boolean

/** Methods that do not change anything. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Allows any request, authenticated or not (bad credentials are still refused). */
export const allowAny: Guard = () => true

/** Allows access only to authenticated users. */
export const isAuthenticated: Guard = (request) => request.principal !== null

/** Allows anyone to read, and only authenticated users to write. */
export const isAuthenticatedOrReadOnly: Guard = (request) =>
  SAFE_METHODS.has(request.method) || request.principal !== null

/** Allows access only to staff users. */
export const isAdminUser: Guard = (request) => request.principal?.user.isStaff === true
