import { InvalidOptionError } from '@connect-dynamodb-session/core';
import { createDynamoDBSessionStore, type DynamoDBBackend, splitStoreOptions } from '@connect-dynamodb-session/dynamodb';

// A closed loopback port, and credentials given so that the SDK looks for none elsewhere.
const base = {
  tableName: 'sessions',
  region: 'eu-west-1',
  endpoint: 'http://127.0.0.1:9',
  clientConfig: { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  maxAttempts: 1,
  cleanupInterval: 0,
};

describe('flat options', () => {
  it('send revisionAttribute and upgradeFrom1x to the backend', () => {
    const { core, dynamodb } = splitStoreOptions({ ...base, revisionAttribute: 'v', upgradeFrom1x: 'cleanup', touchAfter: 0 });
    expect(dynamodb).toMatchObject({ revisionAttribute: 'v', upgradeFrom1x: 'cleanup' });
    expect(core).toEqual({ cleanupInterval: 0, touchAfter: 0 });
  });

  it.each([
    ['compression', { compression: 'gzip' }],
    ['encryption', { encryption: { keys: [{ id: 'k', key: Buffer.alloc(32) }] } }],
    ['hashIds', { hashIds: { secret: 's'.repeat(32) } }],
  ] as const)('refuse %s with upgradeFrom1x "mixed-fleet": 1.x could not read the sessions', (option, extra) => {
    const make = () => createDynamoDBSessionStore({ ...base, upgradeFrom1x: 'mixed-fleet', ...extra });
    expect(make).toThrow(InvalidOptionError);
    expect(make).toThrow(expect.objectContaining({ option, message: expect.stringContaining('1.x') }));
  });

  it('allow them again in the cleanup phase', async () => {
    const store = createDynamoDBSessionStore({ ...base, upgradeFrom1x: 'cleanup', compression: 'gzip' });
    // The table check started at construction fails on the closed port: let it end before the test does.
    await expect((store.options.backend as DynamoDBBackend).checkTable()).rejects.toThrow();
    await store.close();
  });
});
