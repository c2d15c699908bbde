import type { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { ResolvedDynamoDBOptions } from './options';
import { sdk } from './sdk';

/**
 * The DynamoDB client this backend builds when it is not given one. Top-level
 * options win over the same settings in `clientConfig`. Credentials are never
 * invented: without `clientConfig.credentials` the SDK's default chain
 * (environment, profile, instance role...) applies, local endpoint or not.
 */
export function buildClient(options: ResolvedDynamoDBOptions): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    // Resolve the SDK's middleware stack once per command class instead of on every call: about a
    // quarter of the SDK's CPU per call (docs/benchmarks.md). clientConfig can turn it off.
    cacheMiddleware: true,
    ...options.clientConfig,
    maxAttempts: options.maxAttempts,
    // Without timeouts a request to an unresponsive endpoint can hang for ever. throwOnRequestTimeout
    // makes requestTimeout fail the request (by default the SDK only logs a warning).
    requestHandler: options.clientConfig.requestHandler ?? {
      requestTimeout: options.requestTimeout,
      connectionTimeout: options.connectionTimeout,
      throwOnRequestTimeout: true,
    },
  };
  const region = options.region ?? options.clientConfig.region;
  if (region !== undefined) config.region = region;
  const endpoint = options.endpoint ?? options.clientConfig.endpoint;
  if (endpoint !== undefined) config.endpoint = endpoint;
  return new (sdk().DynamoDBClient)(config);
}
