import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { CustomCipher } from '@connect-dynamodb-session/core';

/** An async custom cipher standing in for KMS in tests: AES-256-GCM under its own key, binding the AAD it is given. */
export function customCipher(key = randomBytes(32)): CustomCipher {
  const pause = () => new Promise((resolve) => setImmediate(resolve));
  return {
    async encrypt(plaintext, aad) {
      await pause();
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      return Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    async decrypt(sealed, aad) {
      await pause();
      const bytes = Buffer.from(sealed);
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12), { authTagLength: 16 }).setAAD(aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
    },
  };
}
