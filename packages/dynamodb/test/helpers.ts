import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBBackend, type DynamoDBBackendOptions } from '@connect-dynamodb-session/dynamodb';

/** The server under test: dynalite (started by jest's global setup) or moto (CI's second pass). */
export const endpoint = (): string => {
  const value = process.env.DYNAMODB_ENDPOINT;
  if (!value) throw new Error('DYNAMODB_ENDPOINT is not set (jest global setup starts dynalite)');
  return value;
};
export const onMoto = process.env.DYNAMODB_SERVER === 'moto';

export const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

export const uniqueTableName = (label = 'sessions'): string => `cdss-${label}-${randomUUID()}`;

/** A raw client, for reading and writing items behind the backend's back. */
export const rawClient = (): DynamoDBClient => new DynamoDBClient({ endpoint: endpoint(), region: 'us-east-1', credentials });

/** A backend on a fresh table (created on first use). */
export function newBackend(extra: Partial<DynamoDBBackendOptions> = {}): DynamoDBBackend {
  return new DynamoDBBackend({
    tableName: uniqueTableName(),
    region: 'us-east-1',
    endpoint: endpoint(),
    autoCreate: true,
    billingMode: 'PAY_PER_REQUEST',
    clientConfig: { credentials },
    ...extra,
  });
}

/** Deletes the backend's table and closes the backend. */
export async function dropBackend(backend: DynamoDBBackend, client: DynamoDBClient): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: backend.options.tableName })).catch((error: Error) => {
    if (error.name !== 'ResourceNotFoundException') throw error;
  });
  await backend.close();
}

/** The raw item (or undefined), read strongly consistent. */
export async function readItem(client: DynamoDBClient, tableName: string, key: Record<string, string>) {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: tableName,
      Key: Object.fromEntries(Object.entries(key).map(([k, v]) => [k, { S: v }])),
      ConsistentRead: true,
    }),
  );
  return Item;
}
