/** `ids` with `first` moved to the front when it is among them: how every engine honours `keepId`. */
export function rankFirst(ids: string[], first: string | undefined): string[] {
  return first !== undefined && ids.includes(first) ? [first, ...ids.filter((id) => id !== first)] : ids
}
