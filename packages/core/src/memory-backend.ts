import type { BackendInfo, CleanupResult, ListedSession, Payload, SessionBackend, StoredSession } from './contract';

const copyPayload = (payload: Payload): Payload => (typeof payload === 'string' ? payload : new Uint8Array(payload));

/**
 * The reference backend: keeps records in a Map in this process. For tests
 * (yours and ours) and single-process development; it is the contract's
 * executable specification, not a production store.
 *
 * Every method yields to the event loop before acting, like a real backend
 * would, so that races between operations happen in tests too.
 */
export class MemoryBackend implements SessionBackend {
  private readonly records = new Map<string, StoredSession>();

  async init(): Promise<BackendInfo> {
    await tick();
    return { expiresItemsNatively: false };
  }

  async get(id: string): Promise<StoredSession | null> {
    await tick();
    const found = this.records.get(id);
    return found ? { payload: copyPayload(found.payload), expiresAt: found.expiresAt } : null;
  }

  async put(id: string, { payload, expiresAt }: StoredSession): Promise<void> {
    await tick();
    this.records.set(id, { payload: copyPayload(payload), expiresAt });
  }

  async putIfExists(id: string, { payload, expiresAt }: StoredSession): Promise<boolean> {
    await tick();
    if (!this.records.has(id)) return false;
    this.records.set(id, { payload: copyPayload(payload), expiresAt });
    return true;
  }

  async delete(id: string): Promise<void> {
    await tick();
    this.records.delete(id);
  }

  async updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean> {
    await tick();
    const found = this.records.get(id);
    if (!found || !(found.expiresAt > now)) return false;
    found.expiresAt = expiresAt;
    return true;
  }

  async deleteExpired(now: number): Promise<CleanupResult> {
    const candidates = [...this.records].filter(([, r]) => !(r.expiresAt > now)).map(([id]) => id);
    const scanned = this.records.size;
    let deleted = 0;
    for (const id of candidates) {
      await tick();
      // Re-check at delete time: the record may have been refreshed since it was found.
      const current = this.records.get(id);
      if (current && !(current.expiresAt > now)) {
        this.records.delete(id);
        deleted++;
      }
    }
    return { scanned, deleted };
  }

  async *list(now: number): AsyncIterable<ListedSession> {
    for (const [id, r] of [...this.records]) {
      await tick();
      if (r.expiresAt > now) yield { id, payload: copyPayload(r.payload), expiresAt: r.expiresAt };
    }
  }

  async count(now: number): Promise<number> {
    await tick();
    let n = 0;
    for (const r of this.records.values()) if (r.expiresAt > now) n++;
    return n;
  }

  async clear(): Promise<void> {
    await tick();
    this.records.clear();
  }

  /** Number of records held, expired ones included: for tests. */
  get size(): number {
    return this.records.size;
  }

  /** The raw record, expired or not, without copying: for tests. */
  peek(id: string): StoredSession | undefined {
    return this.records.get(id);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
