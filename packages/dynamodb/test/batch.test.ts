// Pure logic of the batch delete retry: DynamoDB-compatible test servers never
// return UnprocessedItems (dynalite never throttles), so the retry path is
// driven here by a scripted sender.
import type { BatchWriteItemCommandOutput, WriteRequest } from '@aws-sdk/client-dynamodb';
import { UnprocessedItemsError } from '@connect-dynamodb-session/dynamodb';
import { BATCH_WRITE_LIMIT, batchDelete } from '../src/batch';
import { chunked, forEachConcurrent } from '../src/concurrency';
import type { Item } from '../src/item';

const keys = (n: number): Item[] => Array.from({ length: n }, (_, i) => ({ id: { S: `k${i}` } }));
const ids = (requests: WriteRequest[]): string[] => requests.map((r) => r.DeleteRequest?.Key?.id?.S ?? '?');

/** A sender that leaves the last `unprocessed[n]` requests of call n unprocessed. */
function scripted(unprocessed: number[]) {
  const calls: string[][] = [];
  const send = async (requestItems: Record<string, WriteRequest[]>): Promise<BatchWriteItemCommandOutput> => {
    const requests = requestItems.sessions ?? [];
    calls.push(ids(requests));
    const left = unprocessed[calls.length - 1] ?? 0;
    return {
      $metadata: {},
      UnprocessedItems: left > 0 ? { sessions: requests.slice(requests.length - left) } : {},
    };
  };
  return { send, calls };
}

describe('batchDelete', () => {
  const delays: number[] = [];
  const options = {
    tableName: 'sessions',
    operation: 'clear',
    random: () => 1,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
  beforeEach(() => {
    delays.length = 0;
  });

  it('sends up to 25 deletes in one call', async () => {
    const { send, calls } = scripted([]);
    await batchDelete(keys(25), { ...options, send });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(25);
  });

  it('refuses more than 25 keys', async () => {
    const { send } = scripted([]);
    await expect(batchDelete(keys(BATCH_WRITE_LIMIT + 1), { ...options, send })).rejects.toThrow(RangeError);
  });

  it('re-sends exactly the unprocessed items, with exponential backoff', async () => {
    const { send, calls } = scripted([10, 4, 0]);
    await batchDelete(keys(25), { ...options, send });
    expect(calls.map((c) => c.length)).toEqual([25, 10, 4]);
    expect(calls[1]).toEqual(
      ids(
        keys(25)
          .slice(15)
          .map((Key) => ({ DeleteRequest: { Key } })),
      ),
    );
    expect(delays).toEqual([50, 100]);
  });

  it('caps the backoff and applies jitter', async () => {
    const { send } = scripted([1, 1, 1, 1, 1, 0]);
    await batchDelete(keys(3), { ...options, send, random: () => 0.5, baseDelayMs: 100, maxDelayMs: 300 });
    expect(delays).toEqual([50, 100, 150, 150, 150]);
  });

  it('gives up after maxAttempts with a typed error counting what is left', async () => {
    const { send, calls } = scripted([5, 5, 5]);
    const error = await batchDelete(keys(20), { ...options, send, maxAttempts: 3 }).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(error).toBeInstanceOf(UnprocessedItemsError);
    expect(error).toMatchObject({ code: 'ERR_BACKEND', operation: 'clear', unprocessed: 5, command: 'BatchWriteItem' });
    expect((error as Error).message).toContain('5 item(s) still unprocessed after 3 attempts');
  });

  it('lets a failed call reject as it is', async () => {
    const failure = new Error('boom');
    await expect(batchDelete(keys(2), { ...options, send: () => Promise.reject(failure) })).rejects.toBe(failure);
  });
});

describe('forEachConcurrent', () => {
  async function* numbers(n: number): AsyncGenerator<number> {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setImmediate(r));
      yield i;
    }
  }

  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrent(numbers(50), 4, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setImmediate(r));
      seen.push(i);
      running--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
  });

  it('stops starting tasks after a failure, lets running ones settle, then throws the first error', async () => {
    let started = 0;
    let settled = 0;
    const error = await forEachConcurrent(numbers(100), 3, async (i) => {
      started++;
      await new Promise((r) => setImmediate(r));
      settled++;
      if (i === 5) throw new Error(`task ${i}`);
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('task 5');
    expect(started).toBeLessThan(100);
    expect(settled).toBe(started);
  });

  it('throws a failure of the source', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw new Error('scan failed');
    }
    await expect(forEachConcurrent(failing(), 2, async () => {})).rejects.toThrow('scan failed');
  });

  it('chunks a stream', async () => {
    const chunks: number[][] = [];
    for await (const c of chunked(numbers(7), 3)) chunks.push(c);
    expect(chunks).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});
