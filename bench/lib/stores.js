// The stores under test, each configured as its README recommends, plus the
// raw-SDK floor. `create` runs inside the app server child process.

const REGION = 'us-east-1';
const ONE_DAY_MS = 24 * 60 * 60 * 1000;

/**
 * id: short name used in flags and file names; label: shown in the report;
 * packages: what `require` loads (for footprint); hashKey: the table's key
 * attribute; throttle: its touch throttle in ms (null = writes on every touch,
 * 0 = never writes on touch); create(session, {endpoint, table, throttleMs}).
 */
const STORES = [
  {
    id: 'ours',
    label: 'connect-dynamodb-session 2 (ours)',
    short: 'ours',
    packages: ['connect-dynamodb-session'],
    hashKey: 'id',
    throttle: 10000,
    settings: 'defaults: consistentRead true, touchAfter 10 s',
    create(session, { endpoint, table, throttleMs }) {
      const DynamoDBStore = require('connect-dynamodb-session')(session);
      const options = { tableName: table, region: REGION, endpoint };
      if (throttleMs !== undefined) options.touchAfter = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'ours-eventual',
    label: 'connect-dynamodb-session 2, consistentRead false',
    short: 'ours eventual',
    packages: ['connect-dynamodb-session'],
    hashKey: 'id',
    throttle: 10000,
    settings: 'defaults, with `consistentRead: false` (eventually consistent reads)',
    create(session, { endpoint, table, throttleMs }) {
      const DynamoDBStore = require('connect-dynamodb-session')(session);
      const options = { tableName: table, region: REGION, endpoint, consistentRead: false };
      if (throttleMs !== undefined) options.touchAfter = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'ours-ets',
    label: "connect-dynamodb-session 2, consistentRead 'eventual-then-strong'",
    short: 'ours eventual-then-strong',
    packages: ['connect-dynamodb-session'],
    hashKey: 'id',
    throttle: 10000,
    settings: "defaults, with `consistentRead: 'eventual-then-strong'` (eventual reads, a strong one after a miss)",
    create(session, { endpoint, table, throttleMs }) {
      const DynamoDBStore = require('connect-dynamodb-session')(session);
      const options = { tableName: table, region: REGION, endpoint, consistentRead: 'eventual-then-strong' };
      if (throttleMs !== undefined) options.touchAfter = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'ours-plain',
    label: 'connect-dynamodb-session 2, default awsClient',
    short: 'ours plain',
    packages: ['connect-dynamodb-session'],
    hashKey: 'id',
    throttle: 10000,
    settings:
      'defaults, with `awsClient: new DynamoDBClient({ endpoint, region })` (the SDK defaults instead of the lean client ours builds)',
    create(session, { endpoint, table, throttleMs }) {
      const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
      const DynamoDBStore = require('connect-dynamodb-session')(session);
      const options = { tableName: table, awsClient: new DynamoDBClient({ endpoint, region: REGION }) };
      if (throttleMs !== undefined) options.touchAfter = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'connect-dynamodb',
    label: 'connect-dynamodb 3.0.5',
    short: 'connect-dynamodb',
    packages: ['connect-dynamodb'],
    hashKey: 'id',
    throttle: null,
    settings: 'README: { table, client: new DynamoDBClient({ endpoint }) }; no touch throttle (UpdateItem on every touch)',
    create(session, { endpoint, table }) {
      const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
      const DynamoDBStore = require('connect-dynamodb')(session);
      return new DynamoDBStore({ table, client: new DynamoDBClient({ endpoint, region: REGION }) });
    },
  },
  {
    id: 'dynamodb-store',
    label: 'dynamodb-store 1.2.0',
    short: 'dynamodb-store',
    packages: ['dynamodb-store'],
    hashKey: 'sessionId',
    throttle: 30000,
    settings:
      'README: { table: { name }, dynamoConfig: { region, endpoint, keys }, ttl: 1 day (the README\'s "recommended" TTL) }; touchInterval 30 s (default); aws-sdk v2',
    create(_session, { endpoint, table, throttleMs }) {
      // dynamodb-store extends the express-session it resolves itself (the same copy here).
      const DynamoDBStore = require('dynamodb-store');
      const options = {
        table: { name: table },
        dynamoConfig: { region: REGION, endpoint, accessKeyId: 'x', secretAccessKey: 'x' },
        ttl: ONE_DAY_MS,
      };
      if (throttleMs !== undefined) options.touchInterval = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'v1',
    label: 'connect-dynamodb-session 1.1.0 (original)',
    short: 'v1.1.0',
    packages: ['connect-dynamodb-session-v1'],
    hashKey: 'id',
    throttle: 10000,
    settings: 'README: { tableName, region, endpoint }; touchAfter 10 s, cleanupInterval 5 min (defaults); aws-sdk v2',
    create(session, { endpoint, table, throttleMs }) {
      const DynamoDBStore = require('connect-dynamodb-session-v1')(session);
      const options = { tableName: table, region: REGION, endpoint };
      if (throttleMs !== undefined) options.touchAfter = throttleMs;
      return new DynamoDBStore(options);
    },
  },
  {
    id: 'floor',
    label: 'raw-SDK floor (AWS SDK v3)',
    short: 'floor',
    packages: ['@aws-sdk/client-dynamodb'],
    hashKey: 'id',
    throttle: 0,
    settings: 'inline store: GetItem (consistent) per read, PutItem per set, DeleteItem per destroy, no touch writes',
    create(session, { endpoint, table }) {
      const { createFloorStore } = require('./floor-store');
      return createFloorStore(session, { endpoint, region: REGION, table });
    },
  },
  {
    id: 'floor-v2',
    label: 'raw-SDK floor (aws-sdk v2)',
    short: 'floor v2',
    packages: ['aws-sdk'],
    hashKey: 'id',
    throttle: 0,
    settings:
      "the same inline store on aws-sdk v2 with its default agent, like dynamodb-store and 1.1.0: tells the SDK's cost from the store's",
    create(session, { endpoint, table }) {
      const { createFloorStore } = require('./floor-store');
      return createFloorStore(session, { endpoint, region: REGION, table, sdk: 'v2' });
    },
  },
];

function storeById(id) {
  const store = STORES.find((candidate) => candidate.id === id);
  if (!store) throw new Error(`unknown store "${id}" (known: ${STORES.map((s) => s.id).join(', ')})`);
  return store;
}

module.exports = { STORES, storeById, REGION, ONE_DAY_MS };
