import type * as DynamoDBSdk from '@aws-sdk/client-dynamodb';

let loaded: typeof DynamoDBSdk | undefined;

/**
 * The AWS SDK's DynamoDB client module, loaded on first use rather than when
 * this package is required. Loading the SDK is most of a cold `require` (about
 * 70 ms of CPU on a small machine); an app that requires the store at start-up
 * but builds it later, or only in some code paths, pays that when it builds
 * the first backend. Only values are loaded here: types come from
 * `import type`, which costs nothing at run time.
 */
export function sdk(): typeof DynamoDBSdk {
  loaded ??= require('@aws-sdk/client-dynamodb') as typeof DynamoDBSdk;
  return loaded;
}
