/** Stable string codes carried by every error this library throws. */
export type SessionStoreErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_BACKEND_CONTRACT'
  | 'ERR_BACKEND'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_CORRUPT_PAYLOAD'
  | 'ERR_SERIALIZE'
  | 'ERR_INVALID_SESSION_ID'
  | 'ERR_STORE_CLOSED'
  | 'ERR_CONFLICT'
  | 'ERR_INVALID_OWNER';

/** The base of every error this library throws: a string `code`, and the underlying error as `cause`. */
export class SessionStoreError extends Error {
  readonly code: SessionStoreErrorCode;

  constructor(code: SessionStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option has the wrong type or value. Thrown at construction. */
export class InvalidOptionError extends SessionStoreError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', message);
    this.option = option;
  }
}

/** The backend is missing required methods. Thrown at construction. */
export class BackendContractError extends SessionStoreError {
  readonly missing: readonly string[];

  constructor(missing: readonly string[], message?: string) {
    super('ERR_BACKEND_CONTRACT', message ?? `backend is missing required method(s): ${missing.join(', ')}`);
    this.missing = missing;
  }
}

/** The backend failed. `cause` is the backend's own error (for DynamoDB, the AWS SDK error). */
export class BackendError extends SessionStoreError {
  readonly operation: string;

  constructor(operation: string, cause: unknown, message?: string) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super('ERR_BACKEND', message ?? `backend ${operation} failed: ${detail}`, { cause });
    this.operation = operation;
  }
}

/** A session would not fit in the backend's record size limit. */
export class PayloadTooLargeError extends SessionStoreError {
  /** Size of the record that was refused, in bytes. */
  readonly size: number;
  /** The limit, in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number, what = 'session') {
    super(
      'ERR_PAYLOAD_TOO_LARGE',
      `${what} is ${size} bytes, over the limit of ${limit} bytes (${(size / 1024).toFixed(1)} KiB > ${(limit / 1024).toFixed(1)} KiB)`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** A stored payload could not be decoded (bad JSON, unknown format, failed decryption or authentication). */
export class CorruptPayloadError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT_PAYLOAD', message, options);
  }
}

/** The session could not be serialized (circular reference, BigInt, ...). Nothing was written. */
export class SerializationError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SERIALIZE', message, options);
  }
}

/** The session id is not a non-empty string of acceptable length. */
export class InvalidSessionIdError extends SessionStoreError {
  constructor(message: string) {
    super('ERR_INVALID_SESSION_ID', message);
  }
}

/** The store was closed and cannot be used any more. */
export class StoreClosedError extends SessionStoreError {
  constructor() {
    super('ERR_STORE_CLOSED', 'the session store has been closed');
  }
}

/**
 * A save kept meeting newer revisions written by concurrent requests of the
 * same session, and gave up after its bounded retries (or had no snapshot to
 * merge against). Nothing of this save was written.
 */
export class SessionConflictError extends SessionStoreError {
  /** Write attempts made before giving up. */
  readonly attempts: number;

  constructor(message: string, attempts: number) {
    super('ERR_CONFLICT', message);
    this.attempts = attempts;
  }
}

/**
 * An owner that is not a non-empty string of at most 1024 bytes: what the
 * `ownerOf` option returned (the save wrote nothing), or the owner given to
 * `sessionsOf` / `destroySessionsOf`.
 */
export class InvalidOwnerError extends SessionStoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_OWNER', message, options);
  }
}
