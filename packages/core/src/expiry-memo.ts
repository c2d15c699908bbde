/**
 * Remembers, per session id, the expiry this process last read from or wrote
 * to the backend, so that `touch` (which express-session calls in the same
 * request as `get`) can tell whether the stored expiry is recent enough to
 * skip a write. It lives outside the session data, so nothing is ever added to
 * the user's session, and it is correct with many app instances: each instance
 * remembers what it itself read in this request.
 *
 * It also remembers which sessions this process destroyed, so that a save
 * still in flight for one of them (a logout racing another request of the same
 * session) is not written back.
 *
 * Bounded: the oldest entry is dropped past `capacity`. A forgotten entry
 * costs one extra touch write, and the save of a forgotten session is
 * unconditional (as for a new session), so size `capacity` above the number of
 * sessions active within a few seconds on one instance.
 */
/** The memo's value for a session this process destroyed: expired at any `now`, so a touch never writes it. */
export const DESTROYED = Number.NEGATIVE_INFINITY;

export class ExpiryMemo {
  private readonly entries = new Map<string, number>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(id: string): number | undefined {
    return this.entries.get(id);
  }

  set(id: string, expiresAt: number): void {
    if (this.capacity === 0) return;
    // Delete first so that re-insertion moves the id to the young end.
    this.entries.delete(id);
    this.entries.set(id, expiresAt);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** Remembers that this process destroyed `id`. */
  markDestroyed(id: string): void {
    this.set(id, DESTROYED);
  }

  delete(id: string): void {
    this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }
}
