import { systemClock, type Clock } from '../actor/clock.js';
import type { JobId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { defaultLogger, LogLevel, logSafely, validateLogger, type Logger } from '../core/logger.js';
import type { BlobHaCopy } from './blob-ha-copy.js';
import type { BlobStoreEvent } from './blob-store-event.js';

/** Configuration of a {@link BlobStore}. */
export interface BlobStoreOptions {
  /** This job manager's own directory for blobs (one store per directory). Created when missing. */
  readonly localDirectory: string;
  /** Where blobs outlive this machine; null or absent for the `none` mode (blobs are local only). */
  readonly haCopy?: BlobHaCopy | null;
  /** How many times a failed fetch from the HA copy is retried before giving up; default 5. */
  readonly fetchRetries?: number;
  /** Milliseconds before the first retry; each further retry waits twice as long, up to {@link maxRetryBackoff}. Default 100. */
  readonly initialRetryBackoff?: number;
  /** The longest wait between two fetch attempts, in milliseconds; default 10,000. */
  readonly maxRetryBackoff?: number;
  /** Time for retry backoff; inject a ManualClock in specs. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Asked before any blob is removed, in addition to the jobs marked running on this store: return true for a job that
   * is running anywhere (e.g. on another job manager, as the HA job graph store knows), and its blobs are kept.
   */
  readonly isJobRunning?: (jobId: JobId) => boolean | Promise<boolean>;
  /** Told about repaired local copies and retried fetches. Default: a warning to `logger` for repaired corruption, debug for the rest. */
  readonly onEvent?: (event: BlobStoreEvent) => void;
  /** Where the default `onEvent` reports. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/** The options after validation, with defaults filled in. */
export interface BlobStoreSettings {
  readonly localDirectory: string;
  readonly haCopy: BlobHaCopy | null;
  readonly fetchRetries: number;
  readonly initialRetryBackoff: number;
  readonly maxRetryBackoff: number;
  readonly clock: Clock;
  readonly isJobRunning: ((jobId: JobId) => boolean | Promise<boolean>) | null;
  readonly onEvent: (event: BlobStoreEvent) => void;
}

const FIELD = 'BlobStoreOptions';

function integerAtLeast(options: BlobStoreOptions, key: 'fetchRetries' | 'initialRetryBackoff' | 'maxRetryBackoff', minimum: number, fallback: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < minimum) throw new InvalidOptionError(`${FIELD}.${key}`, `must be an integer >= ${minimum}, got ${String(value)}`);
  return value;
}

/** The default event reporter: a repaired local copy means the disk damaged a file, which deserves a warning; the rest is debug. */
export function warnAboutBlobStoreEvent(event: BlobStoreEvent, logger: Logger = defaultLogger): void {
  if (event.type !== 'local-copy-repaired') {
    logSafely(logger, LogLevel.DEBUG, { jobId: event.jobId, key: event.key, attempt: event.attempt, backoffMs: event.backoffMs },
      `blob ${event.key} of job ${event.jobId}: fetch attempt ${event.attempt} from the HA copy failed; retrying in ${event.backoffMs} ms`);
    return;
  }
  logSafely(logger, LogLevel.WARN, { code: 'NACT_CHECKPOINT_BLOB_REPAIRED', ...event },
    `blob ${event.key} of job ${event.jobId}: the local copy ${event.path} was corrupted (${event.problem}); it was deleted and fetched again from the HA copy`);
}

/** Checks the options once, at the edge. @throws InvalidOptionError naming the first invalid field. */
export function validateBlobStoreOptions(options: BlobStoreOptions): BlobStoreSettings {
  if (typeof options?.localDirectory !== 'string' || options.localDirectory.length === 0) {
    throw new InvalidOptionError(`${FIELD}.localDirectory`, `must be a non-empty directory path, got ${JSON.stringify(options?.localDirectory)}`);
  }
  const haCopy = options.haCopy ?? null;
  if (haCopy !== null && (typeof haCopy.put !== 'function' || typeof haCopy.read !== 'function' || typeof haCopy.delete !== 'function' || typeof haCopy.deleteJob !== 'function')) {
    throw new InvalidOptionError(`${FIELD}.haCopy`, 'must be a BlobHaCopy (put, read, delete, deleteJob) or null');
  }
  const initialRetryBackoff = integerAtLeast(options, 'initialRetryBackoff', 0, 100);
  const maxRetryBackoff = integerAtLeast(options, 'maxRetryBackoff', 0, Math.max(10_000, initialRetryBackoff));
  if (maxRetryBackoff < initialRetryBackoff) {
    throw new InvalidOptionError(`${FIELD}.maxRetryBackoff`, `cannot be less than its initialRetryBackoff (${initialRetryBackoff}), got ${maxRetryBackoff}`);
  }
  for (const key of ['isJobRunning', 'onEvent'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') throw new InvalidOptionError(`${FIELD}.${key}`, 'must be a function');
  }
  const logger = validateLogger(options.logger, `${FIELD}.logger`);
  return {
    localDirectory: options.localDirectory,
    haCopy,
    fetchRetries: integerAtLeast(options, 'fetchRetries', 0, 5),
    initialRetryBackoff,
    maxRetryBackoff,
    clock: options.clock ?? systemClock,
    isJobRunning: options.isJobRunning ?? null,
    onEvent: options.onEvent ?? ((event: BlobStoreEvent) => warnAboutBlobStoreEvent(event, logger)),
  };
}
