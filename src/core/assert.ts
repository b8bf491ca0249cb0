import { BugError } from './errors.js';

/** Exhaustiveness guard for discriminated unions: reaching it is a bug. */
export function assertNever(value: never, what = 'value'): never {
  throw new BugError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
