// Issue 12.8: the store binds its backend's keyScope into every encrypted payload.
import { BackendContractError, DecryptionError, resolveStoreOptions, type SessionBackend } from '@connect-dynamodb-session/core';

const stubBackend = (keyScope?: unknown): SessionBackend =>
  ({
    init: async () => undefined,
    get: async () => null,
    create: async () => true,
    replace: async () => true,
    destroy: async () => undefined,
    updateExpiry: async () => true,
    ...(keyScope === undefined ? {} : { keyScope }),
  }) as SessionBackend;

const encryption = { keys: [{ id: 'k1', key: Buffer.alloc(32, 7) }] };

describe("the backend's keyScope", () => {
  it('is authenticated with every encrypted payload: another scope cannot read it, the same scope can', async () => {
    const admin = resolveStoreOptions({ backend: stubBackend('["admin:",null]'), encryption });
    const adminAgain = resolveStoreOptions({ backend: stubBackend('["admin:",null]'), encryption });
    const shop = resolveStoreOptions({ backend: stubBackend('["shop:",null]'), encryption });
    const unscoped = resolveStoreOptions({ backend: stubBackend(), encryption });
    const payload = await admin.codec.encode('{"role":"admin"}', 'X');
    await expect(Promise.resolve(adminAgain.codec.decode(payload, 'X'))).resolves.toBe('{"role":"admin"}');
    await expect(Promise.resolve(shop.codec.decode(payload, 'X'))).rejects.toThrow(DecryptionError);
    await expect(Promise.resolve(unscoped.codec.decode(payload, 'X'))).rejects.toThrow(DecryptionError);
  });

  it('must be a string when present', () => {
    expect(() => resolveStoreOptions({ backend: stubBackend(42), encryption })).toThrow(
      new BackendContractError([], 'backend.keyScope must be a string when present; got 42'),
    );
  });
});
