import type { Payload } from './contract';
import { CorruptPayloadError } from './errors';

/**
 * Turns serialized session text into the payload a backend stores, and back.
 * This is where compression and encryption sit, so that every backend gets
 * them. `id` is the session id as the backend sees it (used, for example, as
 * authenticated data so a payload cannot be moved to another id).
 */
export interface PayloadCodec {
  encode(text: string, id: string): Payload | Promise<Payload>;
  decode(payload: Payload, id: string): string | Promise<string>;
}

/** Stores the serialized text as it is: what 1.x wrote, and the default. */
export const plainCodec: PayloadCodec = {
  encode: (text) => text,
  decode: (payload) => {
    if (typeof payload !== 'string') {
      throw new CorruptPayloadError('stored payload is binary, but no compression or encryption is configured to read it');
    }
    return payload;
  },
};
