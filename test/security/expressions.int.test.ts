// No injection into DynamoDB expressions: every command the store sends during
// a whole session lifecycle is recorded (SDK middleware on a real client, real
// server), and every expression in it is checked to be built only of
// #name / :value placeholders and DynamoDB's own syntax. Ids, the prefix, the
// sort key value, attribute names and session contents travel only as
// ExpressionAttributeNames/Values, keys and items, never in expression text.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import connectDynamoDBSession from 'connect-dynamodb-session';
import session from 'express-session';
import { dropTable, testClient, uniqueTableName } from '../../test-support/dynamodb';

const DynamoStore = connectDynamoDBSession(session);
const HOUR = 3_600_000;

const EXPRESSION_FIELDS = [
  'ConditionExpression',
  'UpdateExpression',
  'FilterExpression',
  'ProjectionExpression',
  'KeyConditionExpression',
] as const;

/** Everything an expression may contain: placeholders, and the functions, keywords and operators of DynamoDB's grammar. */
const GRAMMAR =
  /^(?:\s+|#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|\b(?:AND|OR|NOT|SET|REMOVE|ADD|DELETE|BETWEEN|IN|attribute_exists|attribute_not_exists|attribute_type|begins_with|contains|size)\b|<=|>=|<>|[()<>=,+-])*$/;

// What users and options supply: the ids try to look like placeholders and expression syntax on purpose.
// The random placeholders can only reach an expression if a value is spliced into its text.
const INJECTED_NAME = `#inj${Math.random().toString(36).slice(2, 10)}`;
const INJECTED_VALUE = `:inj${Math.random().toString(36).slice(2, 10)}`;
const IDS = [
  INJECTED_NAME,
  INJECTED_VALUE,
  `${INJECTED_NAME} = ${INJECTED_VALUE}`,
  `quote"s and 'single' and \`back\``,
  'colons:in:the:id',
  '#exp',
  ':nowSeconds',
  ') OR attribute_exists(#key',
  'spaces in the id',
  'unicode é☃😀 中文',
  'mixed #:" \':',
];
const PREFIX = `tenant "a" #1: `;
const SORT_KEY = { name: 'sort key', value: `kind:"session" #` };
const ATTRIBUTES = { keyAttribute: 'session id', expiresAttribute: 'ttl', contentAttribute: 'data', revisionAttribute: 'rev #:' };
const CONTENT = [`:value) OR (#x`, `"; DROP TABLE sessions; --`, 'SET #exp = :never', `${INJECTED_VALUE} ${INJECTED_NAME}`];
/** Ids of the second round (after cleanup): fresh ones, because a store never re-saves an id it destroyed. */
const AGAIN = IDS.map((id) => `${id} (again)`);

interface Recorded {
  command: string;
  input: Record<string, unknown>;
}

function recordingClient(): { client: DynamoDBClient; records: Recorded[] } {
  const client = testClient();
  const records: Recorded[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      records.push({
        command: String(context.commandName).replace(/Command$/, ''),
        input: structuredClone(args.input) as Record<string, unknown>,
      });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { client, records };
}

describe('every expression the store sends is placeholders and syntax only', () => {
  const { client, records } = recordingClient();
  const tableName = uniqueTableName('security-expressions');

  afterAll(async () => {
    await dropTable(client, tableName);
    client.destroy();
  });

  beforeAll(async () => {
    const options = {
      tableName,
      awsClient: client,
      autoCreate: true,
      prefix: PREFIX,
      sortKey: SORT_KEY,
      ...ATTRIBUTES,
      cleanupInterval: 0,
    };
    const store = new DynamoStore({ ...options, touchAfter: 0 });
    const cookie = (ms: number) => ({ originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString() });
    // The whole lifecycle, on every id: set (create, then replace on a revision, a conflict, a merge), get, touch, all,
    // ids, length, destroy (a tombstone), a save over the tombstone, cleanup, clear (tombstones).
    for (const id of IDS) await store.set(id, { cookie: cookie(HOUR), content: CONTENT, id } as never);
    for (const id of IDS) expect(await store.get(id)).toMatchObject({ content: CONTENT });
    for (const id of IDS) await store.touch(id, { cookie: cookie(2 * HOUR) } as never);
    for (const id of IDS) await store.set(id, { cookie: cookie(HOUR), content: [...CONTENT, 'again'] } as never);
    expect(Object.keys(await store.all()).sort()).toEqual([...IDS].sort());
    expect((await store.ids()).sort()).toEqual([...IDS].sort());
    expect(await store.length()).toBe(IDS.length);
    // A save of a stale revision: its condition fails, the store re-reads and merges.
    const stale = await store.core.getEntry(IDS[1]!);
    await store.core.set(IDS[1]!, { cookie: cookie(HOUR), content: CONTENT, first: 1 } as never, stale ?? undefined);
    await store.core.set(IDS[1]!, { cookie: cookie(HOUR), content: CONTENT, second: 2 } as never, stale ?? undefined);
    expect(await store.get(IDS[1]!)).toMatchObject({ first: 1, second: 2 }); // the second save was merged
    await store.destroy(IDS[0]!);
    // Saves and touches over the tombstone: each condition fails.
    await store.set(IDS[0]!, { cookie: cookie(HOUR), content: CONTENT } as never);
    await store.touch(IDS[0]!, { cookie: cookie(HOUR) } as never);
    expect(await store.get(IDS[0]!)).toBeNull();
    // A second instance whose clock is a day ahead finds every session expired, and the tombstone's one-day window
    // over, and cleans them all up.
    const later = new DynamoStore({ ...options, now: () => Date.now() + 24 * HOUR + 1000 });
    expect((await later.core.cleanup()).deleted).toBe(IDS.length);
    for (const id of AGAIN) await store.set(id, { cookie: cookie(HOUR), content: CONTENT } as never);
    expect(await store.length()).toBe(AGAIN.length);
    await store.clear();
    expect(await store.length()).toBe(0);
    await Promise.all([store.close(), later.close()]);
  });

  it('sent every kind of command and expression', () => {
    const commands = new Set(records.map((r) => r.command));
    for (const command of ['DescribeTable', 'CreateTable', 'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Scan', 'BatchWriteItem']) {
      expect(commands).toContain(command);
    }
    const fields = new Set(records.flatMap((r) => EXPRESSION_FIELDS.filter((f) => r.input[f] !== undefined)));
    expect([...fields].sort()).toEqual(['ConditionExpression', 'FilterExpression', 'ProjectionExpression', 'UpdateExpression']);
    // Every condition of the write protocol was sent: create, replace on a revision, touch of a session only.
    const conditions = new Set(records.map((r) => r.input.ConditionExpression));
    expect(conditions).toContain('#revision = :expectedRevision');
    expect([...conditions].some((c) => typeof c === 'string' && c.startsWith('(attribute_not_exists(#key) OR NOT'))).toBe(true);
    expect([...conditions].some((c) => typeof c === 'string' && c.startsWith('attribute_exists(#content) AND'))).toBe(true);
    // No Query is ever sent; if one appeared, its KeyConditionExpression would be checked below like the rest.
    expect(commands).not.toContain('Query');
  });

  it('no expression contains an id, the prefix, the sort key value, an attribute name or session contents', () => {
    // Ids that are a single placeholder of the store's own ("#exp", ":nowSeconds") cannot be told apart by text:
    // the next test checks what every placeholder is bound to instead.
    const own = /^[#:][A-Za-z0-9_]+$/;
    const supplied = [...IDS, ...AGAIN, PREFIX, SORT_KEY.value, SORT_KEY.name, ...Object.values(ATTRIBUTES), ...CONTENT].filter(
      (value) => !own.test(value) || value === INJECTED_NAME || value === INJECTED_VALUE,
    );
    const found: string[] = [];
    for (const { command, input } of records) {
      for (const field of EXPRESSION_FIELDS) {
        const text = input[field];
        if (typeof text !== 'string') continue;
        for (const value of supplied)
          if (text.includes(value)) found.push(`${command}.${field} contains ${JSON.stringify(value)}: ${text}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('every expression is only placeholders, functions, keywords and operators, and every placeholder is bound', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const { command, input } of records) {
      const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
      const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
      const used = new Set<string>();
      for (const field of EXPRESSION_FIELDS) {
        const text = input[field];
        if (typeof text !== 'string') continue;
        checked++;
        if (!GRAMMAR.test(text)) problems.push(`${command}.${field} has something else: ${text}`);
        for (const placeholder of text.match(/[#:][A-Za-z0-9_]+/g) ?? []) {
          used.add(placeholder);
          const bound = placeholder.startsWith('#') ? placeholder in names : placeholder in values;
          if (!bound) problems.push(`${command}.${field} uses ${placeholder}, which is not bound`);
        }
      }
      // DynamoDB refuses unused placeholders; an unused one would also hint at text built another way.
      for (const placeholder of [...Object.keys(names), ...Object.keys(values)]) {
        if (!used.has(placeholder)) problems.push(`${command} binds ${placeholder} but no expression uses it`);
      }
      // Names are only the configured attributes; values only numbers (times), the prefix and the sort key value.
      for (const [placeholder, name] of Object.entries(names)) {
        if (![...Object.values(ATTRIBUTES), SORT_KEY.name].includes(name)) problems.push(`${command} binds ${placeholder} to ${name}`);
      }
      for (const [placeholder, value] of Object.entries(values) as Array<[string, { N?: string; S?: string }]>) {
        // Numbers are times; strings are the prefix, the sort key value, or a DynamoDB type name for attribute_type().
        const typeName =
          (placeholder === ':typeString' && value.S === 'S') ||
          (placeholder === ':typeBinary' && value.S === 'B') ||
          (placeholder === ':typeNumber' && value.S === 'N');
        const allowed = (value.N !== undefined && /^\d+$/.test(value.N)) || value.S === PREFIX || value.S === SORT_KEY.value || typeName;
        if (!allowed || Object.keys(value).length !== 1) problems.push(`${command} binds ${placeholder} to ${JSON.stringify(value)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(IDS.length * 3);
  });

  it('ids reach DynamoDB only in keys, prefixed, with the sort key value', () => {
    type Written = Record<string, { S?: string }>;
    // clear() writes its tombstones as BatchWriteItem PutRequests: those items are checked like the rest.
    const batched = (r: Recorded): Written[] =>
      Object.values(
        (r.input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: Written }; DeleteRequest?: { Key: Written } }>>,
      )
        .flat()
        .map((request) => request.PutRequest?.Item ?? request.DeleteRequest?.Key ?? {});
    const written = records.flatMap((r) => [...batched(r), (r.input.Key ?? r.input.Item) as Written | undefined]);
    expect(records.some((r) => batched(r).length > 0)).toBe(true);
    for (const item of records.flatMap(batched)) {
      // A tombstone: key, sort key and expiry; no content, no revision.
      expect(Object.keys(item).sort()).toEqual([ATTRIBUTES.keyAttribute, SORT_KEY.name, ATTRIBUTES.expiresAttribute].sort());
    }
    const keys = written.flatMap((key) =>
      key?.[ATTRIBUTES.keyAttribute]?.S !== undefined ? [{ pk: key[ATTRIBUTES.keyAttribute]!.S, sk: key[SORT_KEY.name]?.S }] : [],
    );
    expect(keys.length).toBeGreaterThan(IDS.length * 4);
    for (const { pk, sk } of keys) {
      expect(pk!.startsWith(PREFIX)).toBe(true);
      expect([...IDS, ...AGAIN]).toContain(pk!.slice(PREFIX.length));
      expect(sk).toBe(SORT_KEY.value);
    }
  });
});
