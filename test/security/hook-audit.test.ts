// The auditor the fault and bad-input suites use to check that the err/log
// hooks never receive a whole session id or session contents: it must find a
// secret wherever a logger would print it, and pass a redacted id.
import { redactId } from '@connect-dynamodb-session/core';
import { HookAudit } from './hook-audit';

const ID = 'q8ZPq1c2VzC3rY5XkR0bWm9nTt4UaLs7';
const MARKER = 'MARKER-4f9c1e2a';

function auditWith(record: (hooks: ReturnType<HookAudit['hooks']>) => void): HookAudit {
  const audit = new HookAudit();
  audit.secret(ID);
  audit.secret(MARKER);
  record(audit.hooks('self-test'));
  return audit;
}

describe('HookAudit', () => {
  it('passes redacted ids and messages without contents', () => {
    const audit = auditWith(({ err, log }) => {
      log(`saved session sid:${redactId(ID)}`);
      err(`Unable to put session sid:${redactId(ID)}`, new Error('backend put failed: ThrottlingException'));
    });
    expect(audit.leaks()).toEqual([]);
    expect(audit.calls).toHaveLength(2);
  });

  it.each([
    ['in a log message', (h: ReturnType<HookAudit['hooks']>) => h.log(`loaded ${ID}`)],
    ['in an err message', (h: ReturnType<HookAudit['hooks']>) => h.err(`bad ${MARKER}`, undefined)],
    ['in the error message', (h: ReturnType<HookAudit['hooks']>) => h.err('x', new Error(`id ${ID}`))],
    [
      'deep in the cause chain',
      (h: ReturnType<HookAudit['hooks']>) => h.err('x', new Error('a', { cause: new Error('b', { cause: new SyntaxError(MARKER) }) })),
    ],
    [
      'in an enumerable property of the error',
      (h: ReturnType<HookAudit['hooks']>) => h.err('x', Object.assign(new Error('a'), { body: { s: MARKER } })),
    ],
    ['JSON-escaped', (h: ReturnType<HookAudit['hooks']>) => h.err('x', { raw: JSON.stringify({ v: MARKER }) })],
  ])('finds a secret %s', (_where, record) => {
    const leaks = auditWith(record).leaks();
    expect(leaks).toHaveLength(1);
    expect(leaks[0]!.secret).not.toBe(ID);
  });

  it('refuses secrets short enough to be confused with a redacted id', () => {
    expect(() => new HookAudit().secret('abcdefgh')).toThrow(/over 12 characters/);
  });
});
