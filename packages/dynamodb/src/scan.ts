import type { ScanCommandInput, ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import type { Item } from './item';

/** Sends one Scan request (the caller wraps errors). */
export type ScanSender = (input: ScanCommandInput) => Promise<ScanCommandOutput>;

/**
 * Every page of a Scan, following `LastEvaluatedKey` until there is none.
 * DynamoDB stops a page after 1 MB of items read (before any filter), so a
 * page may hold few or no matches and still not be the last.
 */
export async function* scanPages(send: ScanSender, input: ScanCommandInput): AsyncGenerator<ScanCommandOutput> {
  let exclusiveStartKey: ScanCommandInput['ExclusiveStartKey'];
  do {
    const page = await send(exclusiveStartKey ? { ...input, ExclusiveStartKey: exclusiveStartKey } : input);
    yield page;
    exclusiveStartKey = page.LastEvaluatedKey && Object.keys(page.LastEvaluatedKey).length > 0 ? page.LastEvaluatedKey : undefined;
  } while (exclusiveStartKey);
}

/** What a scan read so far, for cleanup's report. */
export interface ScanTally {
  scanned: number;
  pages: number;
}

/** Every item of every page; adds each page's `ScannedCount` to `tally`. */
export async function* scanItems(send: ScanSender, input: ScanCommandInput, tally?: ScanTally): AsyncGenerator<Item> {
  for await (const page of scanPages(send, input)) {
    if (tally) {
      tally.scanned += page.ScannedCount ?? 0;
      tally.pages++;
    }
    yield* page.Items ?? [];
  }
}
