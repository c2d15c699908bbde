/**
 * What of a session id may appear in a log or error message: its first six
 * characters. A whole id is a bearer credential and is never logged.
 */
export function redactId(id: unknown): string {
  if (typeof id !== 'string') return `<${typeof id}>`;
  return id.length <= 6 ? '<short id>' : `${id.slice(0, 6)}…`;
}
