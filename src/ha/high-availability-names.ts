import { isPathSafeId } from '../core/path-safe-id.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';

/**
 * Checks a scope or job id used as a key of high-availability data (and as a file name in filesystem mode):
 * the one id rule ({@link isPathSafeId}).
 * @throws InvalidOptionError naming `field` otherwise.
 */
export function assertSafeHighAvailabilityName(field: string, value: unknown): string {
  if (!isPathSafeId(value)) {
    throw new InvalidOptionError(field, `must be 1 to 200 letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(value)}`);
  }
  return value;
}
