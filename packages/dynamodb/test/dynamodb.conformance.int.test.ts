import { describeBackendConformance } from '@connect-dynamodb-session/core/testing';
import type { DynamoDBBackend } from '@connect-dynamodb-session/dynamodb';
import { dropBackend, newBackend, rawClient, readItem } from './helpers';

const client = rawClient();
afterAll(() => client.destroy());

describeBackendConformance({
  name: `DynamoDBBackend on ${process.env.DYNAMODB_SERVER ?? 'dynalite'}`,
  createBackend: () => newBackend(),
  disposeBackend: (backend) => dropBackend(backend as DynamoDBBackend, client),
  expiryResolutionMs: 1000,
  readRaw: (backend, id) => {
    const { tableName, keyAttribute } = (backend as DynamoDBBackend).options;
    return readItem(client, tableName, { [keyAttribute]: id });
  },
});
