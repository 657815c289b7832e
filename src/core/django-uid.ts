/**
 * Django's `uidb64`: `urlsafe_base64_encode(force_bytes(user.pk))`, the decimal id in base64url
 * without padding (id 1 is `MQ`). djoser and dj-rest-auth mail it beside the reset token, and
 * their clients post it back, so a link names whose token it is.
 */
export function encodeUid(userId: number): string {
  return Buffer.from(String(userId), 'utf8').toString('base64url')
}

/** The user id a `uidb64` names, or null when it does not decode to a positive whole number. */
export function decodeUid(uid: string): number | null {
  if (!/^[A-Za-z0-9_-]{1,24}$/.test(uid)) return null
  const text = Buffer.from(uid, 'base64url').toString('utf8')
  if (!/^[1-9]\d{0,15}$/.test(text)) return null
  const id = Number(text)
  return Number.isSafeInteger(id) ? id : null
}
