import { InvalidOptionError } from './errors';

/**
 * Small validators shared by every package's `resolveOptions`. Each throws an
 * {@link InvalidOptionError} naming the option, the value and the unit.
 */

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/** A finite number >= `min` (default 0), or `fallback` when undefined. */
export function optionalNumber(
  name: string,
  value: unknown,
  fallback: number,
  unit: string,
  { min = 0, integer = false, max = Number.MAX_SAFE_INTEGER }: { min?: number; integer?: boolean; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new InvalidOptionError(
      name,
      `option "${name}" must be a finite ${integer ? 'integer' : 'number'} ${range} (${unit}); got ${describeValue(value)}`,
    );
  }
  return value;
}

export function optionalBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new InvalidOptionError(name, `option "${name}" must be true or false; got ${describeValue(value)}`);
  }
  return value;
}

export function optionalString(name: string, value: unknown, fallback: string, { allowEmpty = false } = {}): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new InvalidOptionError(name, `option "${name}" must be a ${allowEmpty ? '' : 'non-empty '}string; got ${describeValue(value)}`);
  }
  return value;
}

export function requiredString(name: string, value: unknown): string {
  if (value === undefined) throw new InvalidOptionError(name, `option "${name}" is required (a non-empty string)`);
  return optionalString(name, value, '');
}

export function optionalFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') {
    throw new InvalidOptionError(name, `option "${name}" must be a function; got ${describeValue(value)}`);
  }
  return value as F;
}

export function optionalOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(
      name,
      `option "${name}" must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}; got ${describeValue(value)}`,
    );
  }
  return value as T;
}

/** Throws when `input` is not a plain object (undefined is allowed and means "no options"). */
export function assertOptionsObject(input: unknown, what = 'options'): asserts input is Record<string, unknown> | undefined {
  if (input === undefined) return;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidOptionError(what, `${what} must be an object; got ${describeValue(input)}`);
  }
}
