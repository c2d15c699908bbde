import { inspect } from 'node:util';

/** One call of a store's `err` or `log` hook. */
export interface HookCall {
  hook: 'err' | 'log';
  /** Which store (or test case) the hook belonged to. */
  source: string;
  message: string;
  error?: unknown;
}

/** A secret that showed up in a hook call. */
export interface Leak {
  secret: string;
  source: string;
  hook: 'err' | 'log';
  /** The rendering of the call the secret was found in, shortened around it. */
  context: string;
}

/**
 * Records every call of the `err` and `log` hooks given to stores under test,
 * and finds the ones that carry a secret: a whole session id, or a marker
 * value planted in session contents. The hooks' contract is that they never
 * receive either (ids appear only redacted to their first characters).
 *
 * A call is searched as a logger would print it: the message, the error's
 * `String()`, every message down its `cause` chain, and `util.inspect` of the
 * error at full depth (own enumerable properties, causes, AggregateError
 * members), raw and escaped.
 */
export class HookAudit {
  readonly calls: HookCall[] = [];
  private readonly secrets = new Set<string>();

  /** `err` and `log` hooks for a store; every call is recorded under `source`. */
  hooks(source: string): { err: (message: string, error: unknown) => void; log: (message: string) => void } {
    return {
      err: (message, error) => {
        this.calls.push({ hook: 'err', source, message, error });
      },
      log: (message) => {
        this.calls.push({ hook: 'log', source, message });
      },
    };
  }

  /**
   * Registers a value no hook may ever see, and returns it. Ids of 12
   * characters or fewer are refused: their redacted form (the first 6
   * characters) would be too much of them to tell a leak from a redaction.
   */
  secret<T extends string>(value: T): T {
    if (value.length <= 12) throw new Error(`a secret to audit must be over 12 characters; got ${value.length}`);
    this.secrets.add(value);
    return value;
  }

  get secretCount(): number {
    return this.secrets.size;
  }

  /** Every recorded call in which a registered secret appears. */
  leaks(): Leak[] {
    const found: Leak[] = [];
    for (const call of this.calls) {
      const text = render(call);
      for (const secret of this.secrets) {
        for (const form of [secret, JSON.stringify(secret).slice(1, -1), inspect(secret).slice(1, -1)]) {
          const at = text.indexOf(form);
          if (at >= 0) {
            found.push({
              secret: `${secret.slice(0, 6)}…`,
              source: call.source,
              hook: call.hook,
              context: text.slice(Math.max(0, at - 80), at + form.length + 20),
            });
            break;
          }
        }
      }
    }
    return found;
  }
}

function render(call: HookCall): string {
  const parts = [call.message];
  if (call.error !== undefined) {
    parts.push(String(call.error));
    for (let e: unknown = call.error, depth = 0; e instanceof Error && depth < 20; e = e.cause, depth++) parts.push(e.message);
    parts.push(inspect(call.error, { depth: Number.POSITIVE_INFINITY, breakLength: Number.POSITIVE_INFINITY }));
    try {
      parts.push(JSON.stringify(call.error) ?? '');
    } catch {
      // A circular error object: inspect above has it.
    }
  }
  return parts.join('\n');
}
