import { InvalidOptionError } from '../core/invalid-option-error.js';

const SAFE_NAME = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Checks a scope or job id used as a key of high-availability data (and as a file name in filesystem mode):
 * 1 to 200 letters, digits, `.`, `_` or `-`, and not `.` or `..`.
 * @throws InvalidOptionError naming `field` otherwise.
 */
export function assertSafeHighAvailabilityName(field: string, value: unknown): string {
  if (typeof value !== 'string' || !SAFE_NAME.test(value) || value === '.' || value === '..') {
    throw new InvalidOptionError(field, `must be 1 to 200 letters, digits, '.', '_' or '-' (and not '.' or '..'), got ${JSON.stringify(value)}`);
  }
  return value;
}
