import type { PostgresPool } from './postgres/postgres-pool.js';
import { systemClock, type Clock } from '../actor/clock.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { validateLogger, type Logger } from '../core/logger.js';
import { HighAvailabilityMode } from './high-availability-mode.js';
import type { InMemoryHighAvailabilityData } from './memory/in-memory-high-availability-data.js';

/** What every mode accepts. */
export interface LeaseOptions {
  /** Time (timers and lease judgement). Default: the system clock; inject a ManualClock in specs. */
  readonly clock?: Clock;
  /** ms without a renewal, by a standby's own clock, before it takes over. Default 15,000. */
  readonly leaseDuration?: number;
  /** ms between renewals (leader) and checks (standby); less than `leaseDuration`. Default a third of it. */
  readonly renewInterval?: number;
  /** Where leadership changes (info) and contender errors (error) are logged. Default: quiet unless `NODE_DEBUG=nact-checkpoint`. */
  readonly logger?: Logger;
}

/** `none`: in memory, for specs; instances given the same `data` share everything. */
export interface NoHighAvailabilityOptions extends LeaseOptions {
  readonly mode: typeof HighAvailabilityMode.NONE;
  /** Shared with other in-process instances. Default: a fresh one, shared with nobody. */
  readonly data?: InMemoryHighAvailabilityData;
}

/** `filesystem`: the embedded default, one machine, one directory. */
export interface FileSystemHighAvailabilityOptions extends LeaseOptions {
  readonly mode: typeof HighAvailabilityMode.FILESYSTEM;
  /** Where leases, counters, completed checkpoint records and job graphs live (created when missing). */
  readonly directory: string;
  /**
   * The checkpoint storage's base directory (`FileSystemCheckpointStorage.baseDirectory`): id counters continue
   * above every `<jobId>/chk-<id>` found there. Default: none (counters continue above the ids they handed out).
   */
  readonly checkpointDirectory?: string;
  /** ms between two looks at the job graph directory for changes by other processes. Default 1,000. */
  readonly pollInterval?: number;
  /** ms a write waits for a lock file held by a live process before it fails. Default 10,000. */
  readonly lockTimeout?: number;
}

/** `postgres`: several processes or machines on one PostgreSQL database, through `pg`. */
export interface PostgresHighAvailabilityOptions extends LeaseOptions {
  readonly mode: typeof HighAvailabilityMode.POSTGRES;
  /** Give either a connection string (the services create and end their own pool) ... */
  readonly connectionString?: string;
  /** ... or your pool (you end it after `close()`); one of its connections is held for liveness and notifications. */
  readonly pool?: PostgresPool;
  /** The schema of the tables (created when missing). Default `public`. */
  readonly schema?: string;
  /** Prefix of every table name. Default `nact_checkpoint_`. */
  readonly tablePrefix?: string;
  /** Connections of the services' own pool at most. Default 4. */
  readonly maxConnections?: number;
}

/** Where everything that must outlive a process lives; see {@link HighAvailabilityMode}. */
export type HighAvailabilityOptions = NoHighAvailabilityOptions | FileSystemHighAvailabilityOptions | PostgresHighAvailabilityOptions;

/** Lease timing after validation. */
export interface LeaseSettings {
  readonly clock: Clock;
  readonly leaseDuration: number;
  readonly renewInterval: number;
  readonly logger: Logger;
}

const FIELD = 'HighAvailabilityOptions';
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;

/**
 * Checks the options once, at the edge.
 * @throws InvalidOptionError naming the field, e.g. `HighAvailabilityOptions.leaseDuration must be an integer >= 1, got 0`.
 */
export function validateHighAvailabilityOptions(options: HighAvailabilityOptions): LeaseSettings {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(FIELD, 'must be an object with a mode');
  const modes: readonly unknown[] = Object.values(HighAvailabilityMode);
  if (!modes.includes(options.mode)) {
    throw new InvalidOptionError(`${FIELD}.mode`, `must be one of ${modes.map((mode) => `'${String(mode)}'`).join(', ')}, got ${JSON.stringify(options.mode)}`);
  }
  const leaseDuration = integer('leaseDuration', options.leaseDuration, 15_000, 1);
  const renewInterval = integer('renewInterval', options.renewInterval, Math.max(1, Math.floor(leaseDuration / 3)), 1);
  if (renewInterval >= leaseDuration) {
    throw new InvalidOptionError(`${FIELD}.renewInterval`, `must be less than leaseDuration (${leaseDuration}), got ${renewInterval}`);
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.schedule !== 'function') throw new InvalidOptionError(`${FIELD}.clock`, 'must be a Clock (now, schedule)');
  if (options.mode === HighAvailabilityMode.FILESYSTEM) {
    if (typeof options.directory !== 'string' || options.directory.length === 0) {
      throw new InvalidOptionError(`${FIELD}.directory`, `must be a non-empty path, got ${JSON.stringify(options.directory)}`);
    }
    if (options.checkpointDirectory !== undefined && (typeof options.checkpointDirectory !== 'string' || options.checkpointDirectory.length === 0)) {
      throw new InvalidOptionError(`${FIELD}.checkpointDirectory`, `must be a non-empty path when given, got ${JSON.stringify(options.checkpointDirectory)}`);
    }
    integer('pollInterval', options.pollInterval, 1_000, 1);
    integer('lockTimeout', options.lockTimeout, 10_000, 0);
  }
  if (options.mode === HighAvailabilityMode.POSTGRES) {
    const given = [options.connectionString, options.pool].filter((value) => value !== undefined).length;
    if (given !== 1) throw new InvalidOptionError(`${FIELD}.connectionString`, `or ${FIELD}.pool must be given (exactly one of them), got ${given === 0 ? 'neither' : 'both'}`);
    if (options.connectionString !== undefined && (typeof options.connectionString !== 'string' || options.connectionString.length === 0)) {
      throw new InvalidOptionError(`${FIELD}.connectionString`, 'must be a non-empty string such as postgres://user@host:5432/database');
    }
    identifier('schema', options.schema);
    identifier('tablePrefix', options.tablePrefix);
    integer('maxConnections', options.maxConnections, 4, 2);
  }
  return { clock, leaseDuration, renewInterval, logger: validateLogger(options.logger, `${FIELD}.logger`) };
}

function integer(field: string, value: unknown, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < minimum) throw new InvalidOptionError(`${FIELD}.${field}`, `must be an integer >= ${minimum}, got ${String(value)}`);
  return value as number;
}

function identifier(field: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'string' || !SQL_IDENTIFIER.test(value))) {
    throw new InvalidOptionError(`${FIELD}.${field}`, `must be 1 to 40 lowercase letters, digits or '_', starting with a letter or '_', got ${JSON.stringify(value)}`);
  }
}
