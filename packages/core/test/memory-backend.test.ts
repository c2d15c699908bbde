import { MemoryBackend } from '@connect-dynamodb-session/core';
import { describeBackendConformance } from '@connect-dynamodb-session/core/testing';

describeBackendConformance({
  name: 'MemoryBackend',
  createBackend: () => new MemoryBackend(),
  readRaw: async (backend, id) => (backend as MemoryBackend).peek(id),
});
