import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SessionStore } from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

/**
 * Races, 1,000 trials each in `npm run soak` (100 in `npm test`), against the
 * real DynamoDB backend over HTTP.
 * Trials run in parallel waves (distinct ids) so the run takes seconds.
 * Each counts the bad outcomes and asserts zero.
 */
const TRIALS = Number(process.env.RACE_TRIALS ?? (process.env.SOAK ? 1000 : 100));
// Creating tables is the slow one: 20 trials (of 20 first requests each) in `npm test`, 1,000 in `npm run soak`.
const AUTOCREATE_TRIALS = Number(process.env.AUTOCREATE_TRIALS ?? (process.env.SOAK ? 1000 : 20));
const WAVE = 50;
const HOUR = 3_600_000;

const client = testClient();
const tableName = uniqueTableName('races');
const backend = new DynamoDBBackend({ tableName, awsClient: client, autoCreate: true, billingMode: 'PAY_PER_REQUEST' });
const T = Math.floor(Date.now() / 1000) * 1000 + 10 * 60_000; // a whole second, 10 min from now

/** Two stores on one table, each with its own fixed clock: what two app instances see. */
const storeAt = (now: number, touchAfter = 0) => new SessionStore({ backend, now: () => now, touchAfter, cleanupInterval: 0 });
const cookieUntil = (ms: number) => ({ originalMaxAge: HOUR, expires: new Date(ms).toISOString() });

async function waves(run: (trial: number) => Promise<void>): Promise<void> {
  for (let start = 0; start < TRIALS; start += WAVE) {
    await Promise.all(Array.from({ length: Math.min(WAVE, TRIALS - start) }, (_, i) => run(start + i)));
  }
}

const rawItem = async (id: string) =>
  (await client.send(new GetItemCommand({ TableName: tableName, Key: { id: { S: id } }, ConsistentRead: true }))).Item;
/** The item holds a session: not a tombstone (an item without content), not nothing. */
const holdsSession = async (id: string) => (await rawItem(id))?.content !== undefined;

afterAll(async () => {
  await dropTable(client, tableName);
  client.destroy();
});

describe(`races (${TRIALS} trials each)`, () => {
  const before = storeAt(T - 2000);
  const after = storeAt(T + 2000);

  it('destroy against touch: zero revived sessions, zero stray errors', async () => {
    let revived = 0;
    let errors = 0;
    await waves(async (trial) => {
      const id = `race-dt-${trial}-${Math.random()}`;
      await before.set(id, { cookie: cookieUntil(T + HOUR), n: trial });
      const results = await Promise.allSettled([before.destroy(id), before.touch(id, { cookie: cookieUntil(T + 2 * HOUR) })]);
      errors += results.filter((r) => r.status === 'rejected').length;
      if (await holdsSession(id)) revived++;
    });
    expect({ revived, errors }).toEqual({ revived: 0, errors: 0 });
  });

  it('touch against cleanup: zero live sessions deleted, zero revived', async () => {
    let liveDeleted = 0;
    let revived = 0;
    let touched = 0;
    await waves(async (trial) => {
      const id = `race-tc-${trial}-${Math.random()}`;
      // Expires at T. One instance touches it at T - 2 s (still live: extends it), another cleans up at T + 2 s.
      await before.set(id, { cookie: cookieUntil(T), n: trial });
      const [touch] = await Promise.all([before.touch(id, { cookie: cookieUntil(T + HOUR) }), after.cleanup()]);
      const held = await holdsSession(id);
      if (touch === 'updated') {
        touched++;
        // Either order is fine, as long as a successful touch is never followed by deleting the now-live session,
        // and a deleted session is never brought back.
        if (!held) liveDeleted++;
      } else if (held) revived++;
      await before.destroy(id);
    });
    expect({ liveDeleted, revived }).toEqual({ liveDeleted: 0, revived: 0 });
    expect(touched).toBeGreaterThan(0);
  });

  it('destroy against cleanup: the destroyed session is gone, live neighbours stay', async () => {
    let leftBehind = 0;
    let liveDeleted = 0;
    let errors = 0;
    await waves(async (trial) => {
      const expired = `race-dc-x-${trial}-${Math.random()}`;
      const live = `race-dc-l-${trial}-${Math.random()}`;
      await Promise.all([before.set(expired, { cookie: cookieUntil(T) }), before.set(live, { cookie: cookieUntil(T + HOUR) })]);
      const results = await Promise.allSettled([after.destroy(expired), after.cleanup()]);
      errors += results.filter((r) => r.status === 'rejected').length;
      if (await holdsSession(expired)) leftBehind++;
      if ((await rawItem(live)) === undefined) liveDeleted++;
      await before.destroy(live);
    });
    expect({ leftBehind, liveDeleted, errors }).toEqual({ leftBehind: 0, liveDeleted: 0, errors: 0 });
  });

  it('set against destroy (logout while another request is in flight): the logout always wins', async () => {
    // Two app instances: one serves the logout, the other a request of the same session that read it
    // at its start and saves it at its end. Guarantee: the session is gone afterwards, whichever lands first.
    const logoutInstance = storeAt(T - 2000);
    const otherInstance = storeAt(T - 2000);
    const sameInstance = { revived: 0 };
    const acrossInstances = { revived: 0 };
    const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await waves(async (trial) => {
      const id = `race-sd-${trial}-${Math.random()}`;
      const across = trial % 2 === 0;
      const saver = across ? otherInstance : logoutInstance;
      await logoutInstance.set(id, { cookie: cookieUntil(T + HOUR), v: 'before' });
      // The in-flight request read the session at its start, as the adapters do; half the trials save with that
      // read state (a conditional replace), half without (a create refused, then a re-read).
      const read = await saver.getEntry(id);
      const withRead = Math.floor(trial / 4) % 2 === 0;
      // Alternate which request starts first, with a little jitter, so both orders happen.
      const logout = () => logoutInstance.destroy(id);
      const inFlight = async () => {
        await saver.set(id, { cookie: cookieUntil(T + HOUR), v: 'in-flight' }, withRead ? (read ?? undefined) : undefined);
      };
      const [first, second] = trial % 4 < 2 ? [logout, inFlight] : [inFlight, logout];
      await Promise.all([first(), delay(trial % 3).then(second)]);
      if (await holdsSession(id)) (across ? acrossInstances : sameInstance).revived++;
    });
    expect({ sameInstance, acrossInstances }).toEqual({ sameInstance: { revived: 0 }, acrossInstances: { revived: 0 } });
  });

  it(
    `concurrent first-request autoCreate (${AUTOCREATE_TRIALS} trials): exactly one CreateTable per table, no error`,
    async () => {
      const trials = AUTOCREATE_TRIALS;
      const creator = testClient();
      let created = 0;
      creator.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (context.commandName === 'CreateTableCommand') created++;
          return result;
        },
        { step: 'initialize' },
      );
      let errors = 0;
      const names: string[] = [];
      for (let t = 0; t < trials; t++) {
        const name = uniqueTableName('race-create');
        names.push(name);
        const stores = Array.from(
          { length: 20 },
          () =>
            new SessionStore({
              backend: new DynamoDBBackend({ tableName: name, awsClient: creator, autoCreate: true }),
              cleanupInterval: 0,
            }),
        );
        const results = await Promise.allSettled(stores.map((s, i) => s.set(`first-request-${i}`, { cookie: null, i })));
        errors += results.filter((r) => r.status === 'rejected').length;
      }
      expect({ errors, successfulCreates: created }).toEqual({ errors: 0, successfulCreates: trials });
      await Promise.all(names.map((n) => dropTable(client, n)));
      creator.destroy();
    },
    30_000 + AUTOCREATE_TRIALS * 500,
  );
});
