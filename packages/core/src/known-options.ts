import { InvalidOptionError } from './errors';

/**
 * Rejects option names nobody reads. A misspelt or foreign option name that is
 * silently ignored leaves a default in force that the user believes changed
 * (`touchafter`, connect-dynamodb's `table`), so every key is checked against
 * the names the receiving layer knows, and the error says what was probably
 * meant. Pure: no I/O, no state.
 */

/** Another session store's option name, and what to use here instead. */
export interface ForeignOption {
  /** Which package uses this name. */
  readonly store: string;
  /** The option of this library that does the same, if any. */
  readonly use?: string;
  /** What differs, or why there is no equivalent. */
  readonly note?: string;
}

const CONNECT_DYNAMODB = 'connect-dynamodb';
const DYNAMODB_STORE = 'dynamodb-store';
const PWRDRVR = '@pwrdrvr/dynamodb-session-store';
const EXPRESS_SESSION = 'express-session';
const KOA_SESSION = 'koa-session';
const FASTIFY_SESSION = '@fastify/session';

const FRAMEWORK_NOTE = 'it is a session middleware option: pass it to the middleware, not to the store';

/**
 * Option names of other session stores (and of the session middlewares) that
 * this library does not read, keyed by name. The README's migration table is
 * the same list; `known-options.test.ts` keeps the two in step.
 */
export const FOREIGN_OPTIONS: Readonly<Record<string, readonly ForeignOption[]>> = {
  // connect-dynamodb 3.x (ca98am79/connect-dynamodb); its `prefix` means what ours means,
  // and its `client` (an SDK DynamoDBClient) is our `awsClient` (our `client` is a 1.x custom client).
  table: [
    { store: CONNECT_DYNAMODB, use: 'tableName' },
    {
      store: DYNAMODB_STORE,
      use: 'tableName',
      note: 'its table.hashKey is "keyAttribute", table.hashPrefix is "prefix", table.readCapacityUnits / writeCapacityUnits are "readCapacity" / "writeCapacity"',
    },
  ],
  hashKey: [
    { store: CONNECT_DYNAMODB, use: 'keyAttribute' },
    { store: PWRDRVR, use: 'keyAttribute' },
  ],
  readCapacityUnits: [{ store: CONNECT_DYNAMODB, use: 'readCapacity' }],
  writeCapacityUnits: [{ store: CONNECT_DYNAMODB, use: 'writeCapacity' }],
  reapInterval: [
    {
      store: CONNECT_DYNAMODB,
      use: 'cleanupInterval',
      note: 'same unit (ms); with DynamoDB TTL enabled on the table you can set cleanupInterval: 0',
    },
  ],
  specialKeys: [
    {
      store: CONNECT_DYNAMODB,
      note: 'there is no equivalent: session fields are not copied into item attributes (the payload is one attribute)',
    },
  ],
  skipThrowMissingSpecialKeys: [{ store: CONNECT_DYNAMODB, note: 'there is no equivalent (no specialKeys)' }],
  initialized: [
    {
      store: CONNECT_DYNAMODB,
      note: 'not needed: this store makes no call at construction; it checks the table once, on the first request',
    },
  ],
  // connect-dynamodb 1.x/2.x (SDK v2)
  AWSConfigJSON: [{ store: CONNECT_DYNAMODB, use: 'clientConfig', note: 'an AWS SDK v3 DynamoDBClient config' }],
  AWSConfigPath: [
    { store: CONNECT_DYNAMODB, use: 'clientConfig', note: 'SDK v3 reads no config file path; pass the settings in clientConfig' },
  ],
  AWSRegion: [{ store: CONNECT_DYNAMODB, use: 'region' }],
  // dynamodb-store (rafaelrpinto/dynamodb-store)
  dynamoConfig: [{ store: DYNAMODB_STORE, use: 'clientConfig', note: 'an AWS SDK v3 DynamoDBClient config' }],
  touchInterval: [{ store: DYNAMODB_STORE, use: 'touchAfter', note: 'same unit (ms)' }],
  keepExpired: [{ store: DYNAMODB_STORE, note: 'there is no equivalent: an expired session always reads as missing' }],
  // @pwrdrvr/dynamodb-session-store (its tableName, prefix and touchAfter names are ours too;
  // its touchAfter is in seconds, ours in ms)
  dynamoDBClient: [{ store: PWRDRVR, use: 'awsClient' }],
  useStronglyConsistentReads: [{ store: PWRDRVR, use: 'consistentRead', note: 'ours defaults to true' }],
  createTableOptions: [{ store: PWRDRVR, use: 'autoCreate', note: 'with billingMode, readCapacity and writeCapacity' }],
  // connect-redis / connect-mongo names people carry over
  disableTouch: [{ store: 'connect-redis', note: 'there is no equivalent; touchAfter limits how often a touch writes' }],
  autoRemove: [{ store: 'connect-mongo', use: 'cleanupInterval', note: '0 turns cleanup off' }],
  autoRemoveInterval: [{ store: 'connect-mongo', use: 'cleanupInterval', note: 'ours is in ms, not minutes' }],
  // The session middlewares' own options, passed to the store by mistake.
  secret: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  resave: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  saveUninitialized: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  cookie: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  rolling: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  genid: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  unset: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  proxy: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  store: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  name: [{ store: EXPRESS_SESSION, note: FRAMEWORK_NOTE }],
  maxAge: [
    {
      store: KOA_SESSION,
      note: `${FRAMEWORK_NOTE}; the store's lifetime for sessions without a cookie expiry is "ttl"`,
    },
  ],
  renew: [{ store: KOA_SESSION, note: FRAMEWORK_NOTE }],
  autoCommit: [{ store: KOA_SESSION, note: FRAMEWORK_NOTE }],
  signed: [{ store: KOA_SESSION, note: FRAMEWORK_NOTE }],
  externalKey: [{ store: KOA_SESSION, note: FRAMEWORK_NOTE }],
  cookieName: [{ store: FASTIFY_SESSION, note: FRAMEWORK_NOTE }],
  idGenerator: [{ store: FASTIFY_SESSION, note: FRAMEWORK_NOTE }],
};

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) {
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        d[i * width + j] = i + j;
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The known name `name` most likely stands for: the same name in another case,
 * else the closest one within 1 edit (names up to 5 characters) or 2 edits.
 */
export function closestOptionName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  const limit = name.length <= 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

function foreignOption(name: string): readonly ForeignOption[] | undefined {
  if (Object.hasOwn(FOREIGN_OPTIONS, name)) return FOREIGN_OPTIONS[name];
  const lower = name.toLowerCase();
  const key = Object.keys(FOREIGN_OPTIONS).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : FOREIGN_OPTIONS[key];
}

/** The message for an option name that is not in `known`: what it probably is, and what to write instead. */
export function unknownOptionMessage(name: string, known: readonly string[]): string {
  const head = `unknown option ${JSON.stringify(name)}`;
  const foreign = foreignOption(name);
  if (foreign !== undefined) {
    const parts = foreign.map(({ store, use, note }) => {
      const instead = use === undefined ? '' : `; here it is ${JSON.stringify(use)}`;
      return `${store}'s name${instead}${note === undefined ? '' : ` (${note})`}`;
    });
    return `${head}: ${parts.join('; or ')}`;
  }
  const near = closestOptionName(name, known);
  if (near !== undefined) return `${head}; did you mean ${JSON.stringify(near)}?`;
  return `${head}; the options are ${[...known].sort().join(', ')}`;
}

/**
 * Throws an {@link InvalidOptionError} for the first key of `input` not in
 * `known` (whatever its value, `undefined` included: the name is the mistake),
 * naming the option, a likely meant one, and any other unknown keys.
 */
export function assertKnownOptions(input: object | undefined, known: readonly string[]): void {
  if (input === undefined) return;
  const [first, ...rest] = Object.keys(input).filter((key) => !known.includes(key));
  if (first === undefined) return;
  const also = rest.length === 0 ? '' : ` (also unknown: ${rest.map((k) => JSON.stringify(k)).join(', ')})`;
  throw new InvalidOptionError(first, `${unknownOptionMessage(first, known)}${also}`);
}
