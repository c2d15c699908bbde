import {
  assertKnownOptions,
  assertOptionsObject,
  CORE_OPTION_KEYS,
  InvalidOptionError,
  type SessionLike,
  SessionStore,
  type SessionStoreOptions,
} from '@connect-dynamodb-session/core';
import { DynamoDBBackend } from './backend';
import { DYNAMODB_OPTION_KEYS, type DynamoDBBackendOptions } from './options';

/**
 * The one flat options object the framework adapters take (as 1.x did): the
 * DynamoDB options configure the backend, every other option the core store.
 */
export type DynamoDBSessionStoreOptions<S extends SessionLike = SessionLike> = SessionStoreOptions<S> & Partial<DynamoDBBackendOptions>;

export interface SplitStoreOptions<S extends SessionLike> {
  core: SessionStoreOptions<S>;
  /** `undefined` when `backend` or a 1.x `client` was given: no DynamoDB backend is built. */
  dynamodb: DynamoDBBackendOptions | undefined;
}

const DYNAMODB_KEYS: ReadonlySet<string> = new Set(DYNAMODB_OPTION_KEYS);
/** Every name the flat object accepts; any other key is an {@link InvalidOptionError}. */
export const FLAT_OPTION_KEYS: readonly string[] = [...new Set<string>([...CORE_OPTION_KEYS, ...DYNAMODB_OPTION_KEYS])];
/** Hooks both layers report through (the backend's `err` only gets problems it recovered from itself). */
const SHARED_KEYS = ['err', 'log'] as const;

/**
 * Splits a flat options object: keys the DynamoDB backend knows go to it,
 * the core's keys to the core; any other key throws an InvalidOptionError
 * naming it (with the likely meant name). With `backend` or a 1.x `client` the DynamoDB options are ignored
 * (1.x users pass `tableName` beside a custom client); a 1.x client still gets
 * `autoCreate` in its `init(autoCreate)`.
 */
export function splitStoreOptions<S extends SessionLike>(options: DynamoDBSessionStoreOptions<S> | undefined): SplitStoreOptions<S> {
  assertOptionsObject(options);
  assertKnownOptions(options, FLAT_OPTION_KEYS);
  const input: Record<string, unknown> = options ?? {};
  const core: Record<string, unknown> = {};
  const dynamodb: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (DYNAMODB_KEYS.has(key)) dynamodb[key] = value;
    else core[key] = value;
  }
  for (const key of SHARED_KEYS) if (input[key] !== undefined) core[key] = input[key];
  if (input.backend !== undefined || input.client !== undefined) {
    if (input.client !== undefined && input.autoCreate !== undefined) core.autoCreate = input.autoCreate;
    return { core: core as SessionStoreOptions<S>, dynamodb: undefined };
  }
  return { core: core as SessionStoreOptions<S>, dynamodb: dynamodb as unknown as DynamoDBBackendOptions };
}

/**
 * Builds the core store from flat options, on a {@link DynamoDBBackend} unless
 * `backend` or a 1.x `client` was given. Makes no network call: the backend
 * initializes on first use (or when you call `ready()`).
 */
export function createDynamoDBSessionStore<S extends SessionLike>(
  options: DynamoDBSessionStoreOptions<S> | undefined,
  adaptCore: (core: SessionStoreOptions<S>) => SessionStoreOptions<S> = (core) => core,
): SessionStore<S> {
  const { core, dynamodb } = splitStoreOptions(options);
  if (!dynamodb) return new SessionStore(adaptCore(core));
  if (dynamodb.upgradeFrom1x === 'mixed-fleet') assertPayloadsReadableBy1x(core);
  const backend = new DynamoDBBackend(dynamodb);
  try {
    return new SessionStore({ ...adaptCore(core), backend });
  } catch (error) {
    // An invalid core option: release the client the backend may have made.
    backend.close().catch(() => undefined);
    throw error;
  }
}

/**
 * 1.x reads a session as JSON text (`JSON.parse(content.S)`) under the raw
 * session id: a compressed or encrypted payload would be a 500 on a 1.x
 * instance, a hashed id a logout.
 */
function assertPayloadsReadableBy1x(core: Pick<SessionStoreOptions, 'compression' | 'encryption' | 'hashIds'>): void {
  for (const option of ['compression', 'encryption', 'hashIds'] as const) {
    const value = core[option];
    if (value !== undefined && value !== false) {
      throw new InvalidOptionError(
        option,
        `option "${option}" cannot be used with upgradeFrom1x "mixed-fleet": 1.x instances cannot read what it stores; turn it on after the upgrade`,
      );
    }
  }
}
