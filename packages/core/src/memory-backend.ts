import {
  type BackendInfo,
  type CleanupResult,
  isTombstone,
  type ListedSession,
  type OwnedSession,
  type Payload,
  type SessionBackend,
  type SessionWrite,
  type StoredRecord,
} from './contract';

const copyPayload = (payload: Payload): Payload => (typeof payload === 'string' ? payload : new Uint8Array(payload));

/** A record as held here: a session (with its owner, if any) or a tombstone. */
type Held = { tombstone: true; expiresAt: number } | { payload: Payload; expiresAt: number; revision: number; owner?: string };

/** {@link MemoryBackend.peek}'s view of a record: one shape for both kinds, so tests can read `.payload` directly. */
export interface HeldView {
  tombstone?: true;
  payload?: Payload;
  expiresAt: number;
  revision?: number;
  owner?: string;
}

/**
 * The reference backend: keeps records in a Map in this process. For tests
 * (yours and ours) and single-process development; it is the contract's
 * executable specification, not a production store.
 *
 * Each method checks and writes synchronously after one turn of the event
 * loop, so every conditional write is atomic, and races between operations
 * still happen in tests, as with a real backend.
 */
export class MemoryBackend implements SessionBackend {
  private readonly records = new Map<string, Held>();

  async init(): Promise<BackendInfo> {
    await tick();
    return { expiresItemsNatively: false };
  }

  async get(id: string): Promise<StoredRecord | null> {
    await tick();
    const found = this.records.get(id);
    if (!found) return null;
    if (isTombstone(found)) return { tombstone: true, expiresAt: found.expiresAt };
    return { payload: copyPayload(found.payload), expiresAt: found.expiresAt, revision: found.revision };
  }

  async create(id: string, session: SessionWrite): Promise<boolean> {
    await tick();
    if (this.records.has(id)) return false;
    this.records.set(id, held(session, 1));
    return true;
  }

  async replace(id: string, session: SessionWrite, expectedRevision: number): Promise<boolean> {
    await tick();
    const found = this.records.get(id);
    if (!found || isTombstone(found) || found.revision !== expectedRevision) return false;
    this.records.set(id, held(session, expectedRevision + 1));
    return true;
  }

  async destroy(id: string, tombstoneExpiresAt: number): Promise<void> {
    await tick();
    this.records.set(id, { tombstone: true, expiresAt: tombstoneExpiresAt });
  }

  async updateExpiry(id: string, expiresAt: number, now: number): Promise<boolean> {
    await tick();
    const found = this.records.get(id);
    if (!found || isTombstone(found) || !(found.expiresAt > now)) return false;
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
      if (!isTombstone(r) && r.expiresAt > now) yield { id, payload: copyPayload(r.payload), expiresAt: r.expiresAt, revision: r.revision };
    }
  }

  async count(now: number): Promise<number> {
    await tick();
    let n = 0;
    for (const r of this.records.values()) if (!isTombstone(r) && r.expiresAt > now) n++;
    return n;
  }

  async clear(tombstoneExpiresAt: number): Promise<void> {
    await tick();
    for (const [id, r] of this.records) if (!isTombstone(r)) this.records.set(id, { tombstone: true, expiresAt: tombstoneExpiresAt });
  }

  /** The sessions whose last write carried `owner`, expiring after `now`. No lag: the Map is the index. */
  async *listByOwner(owner: string, now: number): AsyncIterable<OwnedSession> {
    await tick();
    for (const [id, r] of [...this.records])
      if (!isTombstone(r) && r.owner === owner && r.expiresAt > now) yield { id, expiresAt: r.expiresAt };
  }

  async destroyIfOwnedBy(id: string, owner: string, tombstoneExpiresAt: number): Promise<boolean> {
    await tick();
    const found = this.records.get(id);
    if (!found || isTombstone(found) || found.owner !== owner) return false;
    this.records.set(id, { tombstone: true, expiresAt: tombstoneExpiresAt });
    return true;
  }

  /** Number of records held (sessions and tombstones, expired ones included): for tests. */
  get size(): number {
    return this.records.size;
  }

  /** The raw record (a session or a tombstone), expired or not, without copying: for tests. */
  peek(id: string): Readonly<HeldView> | undefined {
    return this.records.get(id);
  }
}

function held({ payload, expiresAt, owner }: SessionWrite, revision: number): Held {
  const record: Held = { payload: copyPayload(payload), expiresAt, revision };
  if (owner !== undefined) record.owner = owner;
  return record;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
