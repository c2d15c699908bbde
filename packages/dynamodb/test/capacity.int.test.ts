// What each backend operation costs in capacity units, as DynamoDB reports it
// (ReturnConsumedCapacity, added to every request by SDK middleware), and the
// size of a tombstone. dynalite applies DynamoDB's published rules (Developer
// Guide, "DynamoDB read and write operations"): a write costs 1 WCU per KB of
// the larger of the item before and after it, a strongly consistent read 1 RCU
// per 4 KB (0.5 eventually consistent). moto reports 1 for everything, so
// this suite runs on dynalite only.
import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { toTombstoneItem } from '../src/item';
import { itemSize } from '../src/item-size';
import { dropBackend, newBackend, onMoto, rawClient } from './helpers';

const client = rawClient();
afterAll(() => client.destroy());

/** A client that asks for, and records, the consumed capacity of every request. */
function meteredClient(): { metered: DynamoDBClient; consumed: () => number } {
  const metered = rawClient();
  let total = 0;
  metered.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      total += (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity?.CapacityUnits ?? 0;
      return result;
    },
    { step: 'initialize', name: 'meterCapacity' },
  );
  return {
    metered,
    consumed: () => {
      const value = total;
      total = 0;
      return value;
    },
  };
}

const later = Date.now() + 3_600_000;

(onMoto ? describe.skip : describe)('capacity per operation (dynalite, DynamoDB rules)', () => {
  let backend: DynamoDBBackend;
  let eventual: DynamoDBBackend;
  let meter: ReturnType<typeof meteredClient>;
  beforeAll(async () => {
    meter = meteredClient();
    backend = newBackend({ awsClient: meter.metered, endpoint: undefined, region: undefined, clientConfig: undefined });
    await backend.init();
    eventual = newBackend({
      tableName: backend.options.tableName,
      awsClient: meter.metered,
      endpoint: undefined,
      region: undefined,
      clientConfig: undefined,
      consistentRead: false,
    });
    await eventual.init();
    meter.consumed();
  });
  afterAll(async () => {
    await eventual.close();
    await dropBackend(backend, client);
    meter.metered.destroy();
  });

  it.each([
    // payload bytes, WCU of a write, RCU of a strong read
    [500, 1, 1],
    [3000, 3, 1],
    [5000, 5, 2],
  ])('a session of %i bytes: create, replace and destroy cost %i WCU; a read %i RCU', async (bytes, wcu, rcu) => {
    const id = `capacity-${bytes}`;
    const w = { payload: 'x'.repeat(bytes), expiresAt: later };
    await backend.create(id, w);
    expect(meter.consumed()).toBe(wcu);
    await backend.get(id);
    expect(meter.consumed()).toBe(rcu);
    await eventual.get(id);
    expect(meter.consumed()).toBe(rcu / 2);
    await backend.replace(id, w, 1);
    expect(meter.consumed()).toBe(wcu);
    await backend.updateExpiry(id, later + 1000, Date.now());
    expect(meter.consumed()).toBe(wcu); // an UpdateItem costs the size of the whole item, too
    // The tombstone is tiny, but a PutItem costs the larger of the old and the new item: what a DeleteItem costs.
    await backend.destroy(id, later);
    expect(meter.consumed()).toBe(wcu);
    // Reading a tombstone, and writing over one (a second logout), cost the minimum.
    await backend.get(id);
    expect(meter.consumed()).toBe(1);
    await backend.destroy(id, later);
    expect(meter.consumed()).toBe(1);
  });

  it('a read of nothing costs the minimum too', async () => {
    await backend.get('never-stored');
    expect(meter.consumed()).toBe(1);
  });
});

describe('the tombstone item', () => {
  it('is under 50 bytes for an express-session id (32 characters): id, key name, expiry name and expiry', () => {
    const sid = 'Xq3v9ZkP2mN8rT5wY1bC7dF4gH6jL0aS'; // express-session's default: 24 random bytes, base64url
    const item = toTombstoneItem(sid, 1_764_123_456_789, {
      keyAttribute: 'id',
      prefix: '',
      expiresAttribute: 'expires',
      contentAttribute: 'content',
      revisionAttribute: 'rev',
      ownerAttribute: 'owner',
      sortKey: undefined,
      expiryUnit: 'seconds',
    });
    // "id" 2 + sid 32 + "expires" 7 + N 1764123456 (1 + 5 digit pairs) 6
    expect(itemSize(item)).toBe(47);
  });
});
