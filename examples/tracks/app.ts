import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
// From an installed package: import { … } from 'tessera'
import { isAuthenticatedOrReadOnly, tesseraPlugin, type Principal, type Tessera } from '../../src/index.js'

/**
 * The tutorials' `/tracks/` API on Tessera's Fastify plugin: anyone may read, only authenticated
 * users may add, and only a track's owner (or staff) may delete it. Errors speak DRF's shapes.
 */

/** A track as the API shows it; `owner` is the username of whoever posted it. */
export interface Track {
  id: number
  title: string
  artist: string
  owner: string
  created: string
}

type FieldErrors = Record<string, string[]>
type TrackRequest = FastifyRequest<{ Params: { id: string } }>

const MAX_LENGTH = 100
const NOT_FOUND = { detail: 'Not found.' }
const PERMISSION_DENIED = { detail: 'You do not have permission to perform this action.' }

/** Builds the tracks app over `tessera`; tracks live in memory and go with the app. */
export async function buildTracksApp(tessera: Tessera, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true }, ...options })
  app.setErrorHandler(renderError)
  const tracks = createTrackList()

  // #region snippet: authentication and permissions, all the app has to write
  await app.register(tesseraPlugin, { tessera })
  const auth = { config: { auth: isAuthenticatedOrReadOnly } } // anyone reads; writing takes a token

  app.get('/tracks/', auth, async () => tracks.all())
  app.get('/tracks/:id', auth, async (request: TrackRequest, reply) => tracks.find(request.params.id) ?? notFound(reply))
  app.post('/tracks/', auth, async (request, reply) =>
    reply.code(201).send(tracks.add(readTrack(request.body), request.principal!.user.username)))
  app.delete('/tracks/:id', auth, async (request: TrackRequest, reply) => {
    const track = tracks.find(request.params.id)
    if (!track) return notFound(reply)
    if (!isOwnerOrStaff(request.principal!, track)) return reply.code(403).send(PERMISSION_DENIED)
    tracks.remove(track)
    return reply.code(204).send()
  })
  // #endregion snippet

  return app
}

/** Allows the track's owner and staff users (the tutorial's IsOwnerOrReadOnly, for writes). */
export function isOwnerOrStaff(principal: Principal, track: Track): boolean {
  return principal.user.isStaff || principal.user.username === track.owner
}

/** The app's own data: an in-memory list of tracks with increasing ids. */
function createTrackList() {
  const tracks: Track[] = []
  let lastId = 0
  return {
    all: (): Track[] => tracks,
    find: (id: string): Track | undefined => (/^\d{1,15}$/.test(id) ? tracks.find((t) => t.id === Number(id)) : undefined),
    add(fields: Pick<Track, 'title' | 'artist'>, owner: string): Track {
      const track = { id: ++lastId, ...fields, owner, created: new Date().toISOString() }
      tracks.push(track)
      return track
    },
    remove: (track: Track): void => void tracks.splice(tracks.indexOf(track), 1),
  }
}

/** DRF's 404. */
function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).send(NOT_FOUND)
}

/** A bad request body, with DRF's field errors as its body. */
class BodyError extends Error {
  constructor(readonly body: FieldErrors) {
    super('invalid track')
  }
}

/** `title` and `artist` checked as a DRF ModelSerializer with two CharFields would. */
function readTrack(body: unknown = {}): Pick<Track, 'title' | 'artist'> {
  // No body at all is an empty form to DRF: every field is then reported as required.
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const got = Array.isArray(body) ? 'list' : body == null ? 'null' : typeof body === 'string' ? 'str' : typeof body
    throw new BodyError({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] })
  }
  const errors: FieldErrors = {}
  const fields = body as Record<string, unknown>
  const title = charField(fields.title, 'title', errors)
  const artist = charField(fields.artist, 'artist', errors)
  if (Object.keys(errors).length > 0) throw new BodyError(errors)
  return { title, artist }
}

/** DRF's CharField: required, not null, a string (or a number), not blank, at most MAX_LENGTH. */
function charField(value: unknown, name: string, errors: FieldErrors): string {
  const fail = (message: string): string => {
    errors[name] = [message]
    return ''
  }
  if (value === undefined) return fail('This field is required.')
  if (value === null) return fail('This field may not be null.')
  if (typeof value !== 'string' && typeof value !== 'number') return fail('Not a valid string.')
  const text = String(value).trim()
  if (text === '') return fail('This field may not be blank.')
  if (text.length > MAX_LENGTH) return fail(`Ensure this field has no more than ${MAX_LENGTH} characters.`)
  return text
}

/** Errors as DRF renders them: field errors as a map, anything else as `{"detail": …}`. */
function renderError(error: FastifyError | BodyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof BodyError) return reply.code(400).send(error.body)
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return reply.code(status).send({ detail: error.message })
  request.log.error({ err: error }, 'unhandled error')
  return reply.code(500).send({ detail: 'A server error occurred.' })
}
