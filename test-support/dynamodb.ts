import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

/** Fake credentials: local servers accept any. */
export const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The endpoint jest's global setup started (dynalite) or was given (moto, DynamoDB Local). */
export function testEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run through jest (global setup starts dynalite)');
  return endpoint;
}

export function testClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ endpoint: testEndpoint(), region: 'us-east-1', credentials: localCredentials, ...config });
}

/** A table name no other suite uses (dynalite shares one namespace across suites). */
export function uniqueTableName(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export async function dropTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
}
