import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type FaultProxy, startFaultProxy } from '../../test-support/fault-proxy';

// The fault proxy itself: each fault shows up at the SDK as the real failure would.
describe('fault proxy', () => {
  let proxy: FaultProxy;
  let client: DynamoDBClient;

  beforeAll(async () => {
    proxy = await startFaultProxy(process.env.DYNAMODB_ENDPOINT as string);
    client = new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
      // Without throwOnRequestTimeout, current SDKs only warn when requestTimeout passes.
      requestHandler: { requestTimeout: 300, connectionTimeout: 300, throwOnRequestTimeout: true },
    });
  });
  afterEach(() => proxy.clear());
  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  const list = () => client.send(new ListTablesCommand({}));

  it('forwards when no fault is set', async () => {
    await expect(list()).resolves.toHaveProperty('TableNames');
  });

  it.each([
    ['provisioned-throughput', { name: 'ProvisionedThroughputExceededException' }],
    ['throttling', { name: 'ThrottlingException' }],
    ['server-error', { name: 'InternalServerError' }],
    // A pooled keep-alive socket may report the cut as a hang-up before new connections are refused.
    ['refuse', { message: expect.stringMatching(/ECONNREFUSED|socket hang up|ECONNRESET/) }],
    ['hang', { name: 'TimeoutError' }],
  ] as const)('%s', async (fault, expected) => {
    await proxy.inject(fault);
    await expect(list()).rejects.toMatchObject(expected);
    await proxy.clear();
    await expect(list()).resolves.toHaveProperty('TableNames');
  });

  it.each(['malformed', 'cut'] as const)('%s bodies fail to parse or read', async (fault) => {
    await proxy.inject(fault);
    await expect(list()).rejects.toBeInstanceOf(Error);
    await proxy.clear();
    await expect(list()).resolves.toHaveProperty('TableNames');
  });

  it('faults only the next N requests when asked', async () => {
    await proxy.inject('server-error', { count: 1 });
    await expect(list()).rejects.toMatchObject({ name: 'InternalServerError' });
    await expect(list()).resolves.toHaveProperty('TableNames');
  });
});
