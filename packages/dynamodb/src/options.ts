import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  assertKnownOptions,
  assertOptionsObject,
  describeValue,
  guardErr,
  guardLog,
  InvalidOptionError,
  optionalBoolean,
  optionalFunction,
  optionalNumber,
  optionalOneOf,
  optionalString,
  requiredString,
} from '@connect-dynamodb-session/core';

/** A sort key with one fixed value, for tables shared with other entities (single-table design). */
export interface SortKeyOption {
  /** Attribute name of the table's sort (RANGE) key, type S. */
  name: string;
  /** The value every session item carries in it, e.g. `"session"`. */
  value: string;
}

export type BillingMode = 'PROVISIONED' | 'PAY_PER_REQUEST';

/** The `consistentRead` option: strong reads, eventual reads, or eventual reads retried strongly on a miss. */
export type ReadConsistency = boolean | 'eventual-then-strong';

/** The phases of a rolling upgrade from 1.x (option `upgradeFrom1x`). */
export type UpgradeFrom1x = 'mixed-fleet' | 'cleanup';

/** How expiries are written: epoch seconds (DynamoDB TTL's unit), or epoch milliseconds (1.x's). */
export type ExpiryUnit = 'seconds' | 'milliseconds';

/** Options of {@link DynamoDBBackend}. Every duration is in milliseconds. */
export interface DynamoDBBackendOptions {
  /** Name of the table. Required. */
  tableName: string;
  /** AWS region, e.g. `"eu-west-1"`. Required unless `awsClient` is given (or `clientConfig.region`). */
  region?: string;
  /** Endpoint URL override, e.g. `"http://localhost:8000"` for a local server. */
  endpoint?: string;
  /** A ready AWS SDK v3 `DynamoDBClient`. Used as given and never destroyed by this backend. */
  awsClient?: DynamoDBClient;
  /** Extra `DynamoDBClient` settings (credentials, logger...) for the client this backend builds. */
  clientConfig?: DynamoDBClientConfig;
  /** Create the table (and enable TTL on it) when it does not exist. Default false. */
  autoCreate?: boolean;
  /** Read capacity units of a table made by `autoCreate` in PROVISIONED mode. Default 5. */
  readCapacity?: number;
  /** Write capacity units of a table made by `autoCreate` in PROVISIONED mode. Default 5. */
  writeCapacity?: number;
  /** Billing mode of a table made by `autoCreate`. Default `'PROVISIONED'` (as 1.x). */
  billingMode?: BillingMode;
  /**
   * How `get` reads. `true` (default): strongly consistent (1 RCU per 4 KB). `false`: eventually
   * consistent (0.5 RCU), may miss a write of the last second. `'eventual-then-strong'`: eventually
   * consistent, and strongly again only when that finds no live session (a login just before its
   * redirect): about 0.5 RCU per read. Reads after a failed conditional write are always strong.
   */
  consistentRead?: ReadConsistency;
  /** Name of the partition (HASH) key attribute, type S. Default `"id"`. */
  keyAttribute?: string;
  /** Prepended to every session id in the key, e.g. `"sess:"`. Default `""`. */
  prefix?: string;
  /** Name of the expiry attribute, type N, epoch seconds (the TTL attribute). Default `"expires"`. */
  expiresAttribute?: string;
  /** Name of the payload attribute (S for text, B for bytes). Default `"content"`. */
  contentAttribute?: string;
  /** Name of the revision attribute (N, raised by one on each save; absent on items written by 1.x). Default `"rev"`. */
  revisionAttribute?: string;
  /** A sort key with a fixed value, for single-table designs. Default none. */
  sortKey?: SortKeyOption;
  /**
   * Name of the owner attribute, type S: who a session belongs to (the store option `ownerOf`; a keyed hash of it
   * with `hashIds`). Written only on sessions that have an owner. Default `"owner"`.
   */
  ownerAttribute?: string;
  /**
   * Name of the global secondary index on `ownerAttribute` (KEYS_ONLY) that `sessionsOf` and `destroySessionsOf`
   * query. Default `"owner-index"`. `autoCreate` creates it with the table when the store has `ownerOf`.
   */
  ownerIndexName?: string;
  /** Longest one HTTP request may take before it fails, in ms. Default 5000. Ignored with `awsClient`. */
  requestTimeout?: number;
  /** Longest a TCP connection may take to open, in ms. Default 3000. Ignored with `awsClient`. */
  connectionTimeout?: number;
  /** Attempts per request, including the first, for retryable errors (throttling, 5xx, timeouts). Default 3. */
  maxAttempts?: number;
  /**
   * Rolling upgrade from connect-dynamodb-session 1.x (see the README, "Migrating from connect-dynamodb-session 1.x").
   * `'mixed-fleet'`: 1.x instances still use this table; every expiry is written in epoch milliseconds (what 1.x
   * reads), and cleanup scans run even with TTL enabled (TTL reads milliseconds as the far future).
   * `'cleanup'`: no 1.x instance is left; expiries are written in seconds again, and cleanup scans keep running
   * until the millisecond expiries left behind are gone. Default off.
   */
  upgradeFrom1x?: UpgradeFrom1x;
  /** Debug logging, called with (message). Never receives session contents or whole ids. */
  log?: (message: string) => void;
  /** Called with (message, error) for failures this backend recovers from by itself (e.g. enabling TTL failed). */
  err?: (message: string, error: unknown) => void;
}

/**
 * Exactly the option names of {@link DynamoDBBackendOptions}, so that an
 * adapter can split one flat options object into backend options and core
 * options, and so that any other key is rejected. Adding an option? Add its
 * name here too; the type check below fails until the two agree.
 */
export const DYNAMODB_OPTION_KEYS = [
  'tableName',
  'region',
  'endpoint',
  'awsClient',
  'clientConfig',
  'autoCreate',
  'readCapacity',
  'writeCapacity',
  'billingMode',
  'consistentRead',
  'keyAttribute',
  'prefix',
  'expiresAttribute',
  'contentAttribute',
  'revisionAttribute',
  'sortKey',
  'ownerAttribute',
  'ownerIndexName',
  'requestTimeout',
  'connectionTimeout',
  'maxAttempts',
  'upgradeFrom1x',
  'log',
  'err',
] as const satisfies readonly (keyof DynamoDBBackendOptions)[];
type MissingDynamoDBKeys = Exclude<keyof DynamoDBBackendOptions, (typeof DYNAMODB_OPTION_KEYS)[number]>;
/** Compile-time check: a name of DynamoDBBackendOptions missing from DYNAMODB_OPTION_KEYS fails here, named in the error. */
const dynamodbKeysComplete: [MissingDynamoDBKeys] extends [never] ? true : MissingDynamoDBKeys = true;
void dynamodbKeysComplete;

/** Where each attribute lives: everything that builds or reads an item takes its names from here. */
export interface ItemSchema {
  readonly keyAttribute: string;
  readonly prefix: string;
  readonly expiresAttribute: string;
  readonly contentAttribute: string;
  readonly revisionAttribute: string;
  readonly sortKey: Readonly<SortKeyOption> | undefined;
  readonly ownerAttribute: string;
  /** The unit expiries are written in (`'milliseconds'` only while 1.x instances share the table). Both units are always read. */
  readonly expiryUnit: ExpiryUnit;
}

export interface ResolvedDynamoDBOptions extends ItemSchema {
  readonly tableName: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
  readonly awsClient: DynamoDBClient | undefined;
  readonly clientConfig: Readonly<DynamoDBClientConfig>;
  readonly autoCreate: boolean;
  readonly readCapacity: number;
  readonly writeCapacity: number;
  readonly billingMode: BillingMode;
  readonly consistentRead: ReadConsistency;
  readonly ownerIndexName: string;
  readonly requestTimeout: number;
  readonly connectionTimeout: number;
  readonly maxAttempts: number;
  readonly upgradeFrom1x: UpgradeFrom1x | undefined;
  readonly log: (message: string) => void;
  readonly err: (message: string, error: unknown) => void;
}

export const DEFAULT_REQUEST_TIMEOUT = 5000;
export const DEFAULT_CONNECTION_TIMEOUT = 3000;
export const DEFAULT_MAX_ATTEMPTS = 3;

const noop = (): void => {};

// DynamoDB's own rules, checked here so a typo fails at construction, not on the first request.
const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const INDEX_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const MAX_KEY_ATTRIBUTE_NAME_BYTES = 255;

/** Validates every option once and fills in the defaults. Throws `InvalidOptionError` naming the option, the value and the unit. */
export function resolveOptions(input: DynamoDBBackendOptions): ResolvedDynamoDBOptions {
  assertOptionsObject(input);
  if (input === undefined) throw new InvalidOptionError('options', 'options are required (at least "tableName")');
  assertKnownOptions(input, DYNAMODB_OPTION_KEYS);
  const o = input as Partial<DynamoDBBackendOptions>;

  const tableName = requiredString('tableName', o.tableName);
  if (!TABLE_NAME.test(tableName)) {
    throw new InvalidOptionError(
      'tableName',
      `option "tableName" must be 3 to 255 characters of a-z, A-Z, 0-9, "_", "-" and "."; got ${describeValue(tableName)}`,
    );
  }

  const awsClient = o.awsClient;
  if (awsClient !== undefined && (typeof awsClient !== 'object' || awsClient === null || typeof awsClient.send !== 'function')) {
    throw new InvalidOptionError(
      'awsClient',
      `option "awsClient" must be an AWS SDK v3 DynamoDBClient (an object with a send method; SDK v2's AWS.DynamoDB is not supported); got ${describeValue(awsClient)}`,
    );
  }
  if (o.clientConfig !== undefined && (o.clientConfig === null || typeof o.clientConfig !== 'object' || Array.isArray(o.clientConfig))) {
    throw new InvalidOptionError(
      'clientConfig',
      `option "clientConfig" must be a DynamoDBClient config object; got ${describeValue(o.clientConfig)}`,
    );
  }
  const clientConfig: DynamoDBClientConfig = o.clientConfig ?? {};
  if (awsClient !== undefined) {
    // These only shape a client we build; silently ignoring them would hide a mistake.
    for (const name of ['clientConfig', 'requestTimeout', 'connectionTimeout', 'maxAttempts'] as const) {
      if (o[name] !== undefined) {
        throw new InvalidOptionError(name, `option "${name}" cannot be combined with "awsClient": configure that client instead`);
      }
    }
  }
  if (clientConfig.requestHandler !== undefined) {
    for (const name of ['requestTimeout', 'connectionTimeout'] as const) {
      if (o[name] !== undefined) {
        throw new InvalidOptionError(
          name,
          `option "${name}" cannot be combined with "clientConfig.requestHandler": set the timeout on that handler instead`,
        );
      }
    }
  }

  const region = o.region === undefined ? undefined : optionalString('region', o.region, '');
  if (awsClient === undefined && region === undefined && clientConfig.region === undefined) {
    throw new InvalidOptionError(
      'region',
      'option "region" is required unless "awsClient" is given (a non-empty string, e.g. "eu-west-1")',
    );
  }
  const endpoint = o.endpoint === undefined ? undefined : optionalString('endpoint', o.endpoint, '');
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new InvalidOptionError(
      'endpoint',
      `option "endpoint" must be a URL such as "http://localhost:8000"; got ${describeValue(endpoint)}`,
    );
  }

  const keyAttribute = attributeName('keyAttribute', o.keyAttribute, 'id', MAX_KEY_ATTRIBUTE_NAME_BYTES);
  const expiresAttribute = attributeName('expiresAttribute', o.expiresAttribute, 'expires');
  const contentAttribute = attributeName('contentAttribute', o.contentAttribute, 'content');
  const revisionAttribute = attributeName('revisionAttribute', o.revisionAttribute, 'rev');
  const sortKey = resolveSortKey(o.sortKey);
  // An index key attribute name is limited like a table key attribute name.
  const ownerAttribute = attributeName('ownerAttribute', o.ownerAttribute, 'owner', MAX_KEY_ATTRIBUTE_NAME_BYTES);
  assertDistinctNames(o, [
    ['keyAttribute', keyAttribute],
    ['expiresAttribute', expiresAttribute],
    ['contentAttribute', contentAttribute],
    ['revisionAttribute', revisionAttribute],
    ['ownerAttribute', ownerAttribute],
    ...(sortKey ? [['sortKey.name', sortKey.name] as const] : []),
  ]);
  const ownerIndexName = optionalString('ownerIndexName', o.ownerIndexName, 'owner-index');
  if (!INDEX_NAME.test(ownerIndexName)) {
    throw new InvalidOptionError(
      'ownerIndexName',
      `option "ownerIndexName" must be 3 to 255 characters of a-z, A-Z, 0-9, "_", "-" and "."; got ${describeValue(ownerIndexName)}`,
    );
  }
  const prefix = optionalString('prefix', o.prefix, '', { allowEmpty: true });
  const upgradeFrom1x =
    o.upgradeFrom1x === undefined ? undefined : optionalOneOf('upgradeFrom1x', o.upgradeFrom1x, UPGRADE_PHASES, 'cleanup');
  if (upgradeFrom1x === 'mixed-fleet') {
    assertReadableBy1x({ keyAttribute, expiresAttribute, contentAttribute, prefix, sortKey });
  }

  const err = guardErr(optionalFunction<(message: string, error: unknown) => void>('err', o.err, noop));
  return Object.freeze({
    tableName,
    region,
    endpoint,
    awsClient,
    clientConfig: Object.freeze({ ...clientConfig }),
    autoCreate: optionalBoolean('autoCreate', o.autoCreate, false),
    readCapacity: optionalNumber('readCapacity', o.readCapacity, 5, 'read capacity units', { min: 1, integer: true }),
    writeCapacity: optionalNumber('writeCapacity', o.writeCapacity, 5, 'write capacity units', { min: 1, integer: true }),
    billingMode: optionalOneOf('billingMode', o.billingMode, ['PROVISIONED', 'PAY_PER_REQUEST'] as const, 'PROVISIONED'),
    consistentRead: readConsistency(o.consistentRead),
    keyAttribute,
    prefix,
    expiresAttribute,
    contentAttribute,
    revisionAttribute,
    sortKey,
    ownerAttribute,
    ownerIndexName,
    expiryUnit: upgradeFrom1x === 'mixed-fleet' ? 'milliseconds' : 'seconds',
    upgradeFrom1x,
    requestTimeout: optionalNumber('requestTimeout', o.requestTimeout, DEFAULT_REQUEST_TIMEOUT, 'milliseconds', { min: 1, integer: true }),
    connectionTimeout: optionalNumber('connectionTimeout', o.connectionTimeout, DEFAULT_CONNECTION_TIMEOUT, 'milliseconds', {
      min: 1,
      integer: true,
    }),
    maxAttempts: optionalNumber(
      'maxAttempts',
      o.maxAttempts,
      typeof clientConfig.maxAttempts === 'number' ? clientConfig.maxAttempts : DEFAULT_MAX_ATTEMPTS,
      'attempts',
      { min: 1, max: 20, integer: true },
    ),
    // Guarded once here: a throwing (or rejecting) hook never fails an operation or goes unhandled.
    log: guardLog(optionalFunction<(message: string) => void>('log', o.log, noop), err),
    err,
  });
}

const UPGRADE_PHASES = ['mixed-fleet', 'cleanup'] as const;

/** 1.x has fixed attribute names, no prefix and no sort key: items it cannot find would log its users out. */
function assertReadableBy1x(
  schema: Pick<ItemSchema, 'keyAttribute' | 'expiresAttribute' | 'contentAttribute' | 'prefix' | 'sortKey'>,
): void {
  const fixed = [
    ['keyAttribute', schema.keyAttribute, 'id'],
    ['expiresAttribute', schema.expiresAttribute, 'expires'],
    ['contentAttribute', schema.contentAttribute, 'content'],
    ['prefix', schema.prefix, ''],
  ] as const;
  for (const [option, value, required] of fixed) {
    if (value !== required) {
      throw new InvalidOptionError(
        option,
        `option "${option}" must be ${describeValue(required)} (1.x's fixed value) with upgradeFrom1x "mixed-fleet"; got ${describeValue(value)}`,
      );
    }
  }
  if (schema.sortKey !== undefined) {
    throw new InvalidOptionError(
      'sortKey',
      'option "sortKey" cannot be used with upgradeFrom1x "mixed-fleet": 1.x tables have no sort key',
    );
  }
}

/**
 * Two attributes under one name would overwrite each other in every item. The
 * error names the option the user set (of the two that collide, the later one
 * unless it was left at its default), so that it points at the change to make.
 */
function assertDistinctNames(o: Partial<DynamoDBBackendOptions>, names: ReadonlyArray<readonly [string, string]>): void {
  for (const [i, [option, name]] of names.entries()) {
    const earlier = names.slice(0, i).find(([, other]) => other === name);
    if (earlier === undefined) continue;
    const setByUser = option === 'sortKey.name' || (o as Record<string, unknown>)[option] !== undefined;
    const named = setByUser ? option : earlier[0];
    throw new InvalidOptionError(
      named,
      `options "keyAttribute", "expiresAttribute", "contentAttribute", "revisionAttribute", "ownerAttribute" and "sortKey.name" must all differ; ${describeValue(name)} is used twice: by "${named}" and by "${named === option ? earlier[0] : option}"`,
    );
  }
}

function attributeName(option: string, value: unknown, fallback: string | undefined, maxBytes = 65_535): string {
  const name = fallback === undefined ? requiredString(option, value) : optionalString(option, value, fallback);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxBytes) {
    throw new InvalidOptionError(option, `option "${option}" must be at most ${maxBytes} bytes (UTF-8); got a name of ${bytes} bytes`);
  }
  return name;
}

function resolveSortKey(value: unknown): Readonly<SortKeyOption> | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(
      'sortKey',
      `option "sortKey" must be an object { name, value } of two non-empty strings; got ${describeValue(value)}`,
    );
  }
  const { name, value: keyValue } = value as Record<string, unknown>;
  return Object.freeze({
    name: attributeName('sortKey.name', name, undefined, MAX_KEY_ATTRIBUTE_NAME_BYTES),
    // A key attribute value cannot be empty in DynamoDB.
    value: requiredString('sortKey.value', keyValue),
  });
}

function readConsistency(value: unknown): ReadConsistency {
  if (value === undefined) return true;
  if (typeof value === 'boolean' || value === 'eventual-then-strong') return value;
  throw new InvalidOptionError(
    'consistentRead',
    `option "consistentRead" must be true, false or 'eventual-then-strong'; got ${describeValue(value)}`,
  );
}
