import { isPathSafeId } from '../core/path-safe-id.js';
import type { Clock } from '../actor/clock.js';
import { systemClock } from '../actor/clock.js';
import { asJobId, type JobId } from '../core/ids.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointIDCounter } from '../checkpoint/checkpoint-id-counter.js';
import type { CompletedCheckpointStore } from '../checkpoint/completed-checkpoint-store.js';
import type { CheckpointStorage } from '../storage/checkpoint-storage.js';
import type { TaskSpec } from '../protocol/task-deployment.js';
import type { CheckpointStateCleaner } from './checkpoint-state-cleaner.js';
import type { CoordinatorEvent } from './coordinator-event.js';
import { MAX_TIMER_DELAY_MS } from '../core/timer-limits.js';
import { validateLogger, type Logger } from '../core/logger.js';
import { validateRestartStrategy, type RestartStrategy, type RestartStrategyOption } from './restart-strategy.js';

/** How a checkpoint coordinator is configured. Checked once, when it is spawned. */
export interface CheckpointCoordinatorOptions {
  /** The job's id: letters, digits, `.`, `_`, `-` (it names a directory). */
  readonly jobId: string;
  /** Milliseconds between periodic triggers. */
  readonly interval: number;
  /** Milliseconds before the first periodic trigger. Default: `interval`. */
  readonly initialDelay?: number;
  /** Milliseconds a checkpoint may stay pending before it is aborted as expired. Default 600,000. */
  readonly timeout?: number;
  /** Milliseconds that must pass after a completion before the next periodic trigger. Default 0. */
  readonly minPause?: number;
  /** Pending checkpoints at most (savepoints do not count against it). Default 1. */
  readonly maxConcurrent?: number;
  /** Counted checkpoint failures in a row that are tolerated; one more fails the job. Default 0. */
  readonly tolerableFailures?: number;
  /** Completed checkpoints to retain when no `store` is given. Default 1. */
  readonly retained?: number;
  /** Trigger requests that may wait in the queue. Default 1,000. */
  readonly maxQueuedRequests?: number;
  /** Triggers are refused while more state deletions than this are backlogged. Default 1,000. */
  readonly maxPendingDiscards?: number;
  /** Fail the restore when there is no completed checkpoint, instead of restarting tasks empty. Default false. */
  readonly errorIfNoCheckpoint?: boolean;
  /**
   * How the job restarts after a failure (Flink's `restart-strategy`): `none`, `fixed-delay`, `failure-rate` or
   * `exponential-delay`. Default: exponential-delay with Flink's defaults (1 s, x1.5 up to 1 min, 10% jitter, reset
   * after 1 h without failure).
   */
  readonly restartStrategy?: RestartStrategyOption;
  /** Restore even when the checkpoint holds state for tasks that no longer exist. Default false. */
  readonly allowNonRestoredState?: boolean;
  /** What happens to retained checkpoints when the job ends. Default never-retain-after-termination. */
  readonly retention?: CheckpointRetention;
  /** Start the periodic trigger as soon as the coordinator is spawned. Default true. */
  readonly startScheduler?: boolean;
  /** The job's tasks, deployed when the coordinator starts. More can be added with `RegisterTask`. */
  readonly tasks?: readonly TaskSpec[];
  /** Time source for triggers and timeouts. Default: the system clock. */
  readonly clock?: Clock;
  /** Where completed checkpoints are kept. Default: a StandaloneCompletedCheckpointStore retaining `retained`. */
  readonly store?: CompletedCheckpointStore;
  /** Where checkpoint ids come from. Default: a StandaloneCheckpointIDCounter. */
  readonly idCounter?: CheckpointIDCounter;
  /** Where checkpoint metadata is written on completion. Default: none (checkpoints live in memory). */
  readonly storage?: CheckpointStorage;
  /** Registers shared state and discards what is no longer needed. Default: nothing to register or delete. */
  readonly stateCleaner?: CheckpointStateCleaner;
  /** Told about completions, failures, restarts and restores. Exceptions it throws are counted and ignored. */
  readonly onEvent?: (event: CoordinatorEvent) => void;
  /** The coordinator actor's name. Default: `checkpoint-coordinator-<jobId>`. */
  readonly name?: string;
  /**
   * Where the coordinator logs every event (pino-compatible `{ debug, info, warn, error }`; pino itself works).
   * Default: quiet, unless `NODE_DEBUG=nact-checkpoint`, which prints to stderr.
   */
  readonly logger?: Logger;
  /** Finished checkpoints the stats history keeps (Flink's `web.checkpoints.history`). Default 10. */
  readonly historySize?: number;
  /**
   * Persist the stats history beside the checkpoints (`<base>/<jobId>/checkpoint-history.json` with filesystem
   * storage), so `nact-checkpoint history` and `report` can read it after the job ended. Default: true when `storage`
   * is given.
   */
  readonly persistHistory?: boolean;
}

/** Options after validation, with every default filled in. */
export interface CoordinatorSettings {
  readonly jobId: JobId;
  readonly interval: number;
  readonly initialDelay: number;
  readonly timeout: number;
  readonly minPause: number;
  readonly maxConcurrent: number;
  readonly tolerableFailures: number;
  readonly retained: number;
  readonly maxQueuedRequests: number;
  readonly maxPendingDiscards: number;
  readonly errorIfNoCheckpoint: boolean;
  readonly allowNonRestoredState: boolean;
  readonly restartStrategy: RestartStrategy;
  readonly retention: CheckpointRetention;
  readonly startScheduler: boolean;
  readonly tasks: readonly TaskSpec[];
  readonly clock: Clock;
  readonly name: string;
  readonly logger: Logger;
  readonly historySize: number;
  readonly persistHistory: boolean;
}

const FIELD = 'CheckpointCoordinatorOptions';

/** Finished checkpoints the stats history keeps unless `historySize` says otherwise (Flink's default). */
export const DEFAULT_HISTORY_SIZE = 10;

function integerAtLeast(options: object, key: string, minimum: number, fallback: number, allowInfinity = false): number {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return fallback;
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidOptionError(`${FIELD}.${key}`, `must be an integer >= ${minimum}${allowInfinity ? ' (or Infinity)' : ''}, got ${String(value)}`);
  }
  return value;
}

/** A delay a Node.js timer waits for: an integer of at least `minimum`, below 2^31 ms (Node.js fires longer timers after 1 ms). */
function delay(options: object, key: string, minimum: number, fallback: number): number {
  const value = integerAtLeast(options, key, minimum, fallback);
  if (value > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionError(`${FIELD}.${key}`, `must be below ${MAX_TIMER_DELAY_MS + 1} ms (the longest a Node.js timer waits), got ${value}`);
  }
  return value;
}

/** The methods the engine calls on each collaborator a user may pass. */
const REQUIRED_METHODS = {
  clock: ['now', 'schedule'],
  store: ['addCheckpointAndSubsumeOldestOne', 'getLatestCheckpoint', 'getAllCheckpoints', 'getNumberOfRetainedCheckpoints', 'shutdown'],
  idCounter: ['getAndIncrement', 'get', 'setCount', 'shutdown'],
  storage: ['writeSharedFile', 'writeExclusiveFile', 'writeTaskOwnedFile', 'readFile', 'deleteFile', 'writeMetadata', 'readMetadata', 'listMetadata', 'discardCheckpointDirectory', 'listFiles'],
  stateCleaner: ['registerCompleted', 'registerRecovered', 'releaseRegistrations', 'isSharedFileReferenced', 'discardFile', 'discardCheckpointDirectory', 'discard', 'pendingDiscards'],
} as const;

function checkCollaborator(options: object, key: keyof typeof REQUIRED_METHODS): void {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(`${FIELD}.${key}`, `must be an object, got ${value === null ? 'null' : typeof value}`);
  const missing = REQUIRED_METHODS[key].filter((method) => typeof (value as Record<string, unknown>)[method] !== 'function');
  if (missing.length > 0) throw new InvalidOptionError(`${FIELD}.${key}`, `lacks the method${missing.length === 1 ? '' : 's'} ${missing.join(', ')}`);
}

function flag(options: object, key: string, fallback: boolean): boolean {
  const value = (options as Record<string, unknown>)[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidOptionError(`${FIELD}.${key}`, `must be true or false, got ${String(value)}`);
  return value;
}

/**
 * Checks the options once, at the edge, and fills in defaults.
 * @throws InvalidOptionError naming the first invalid field.
 */
export function validateCoordinatorOptions(options: CheckpointCoordinatorOptions): CoordinatorSettings {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError(FIELD, 'must be an object');
  if (typeof options.jobId !== 'string' || !isPathSafeId(options.jobId)) {
    throw new InvalidOptionError(`${FIELD}.jobId`, `must be a non-empty string of letters, digits, '.', '_' or '-' starting with a letter or digit, got ${JSON.stringify(options.jobId)}`);
  }
  if (options.interval === undefined) throw new InvalidOptionError(`${FIELD}.interval`, 'is required: milliseconds between periodic checkpoints');
  const interval = delay(options, 'interval', 1, 0);
  const retentionValues: readonly unknown[] = Object.values(CheckpointRetention);
  if (options.retention !== undefined && !retentionValues.includes(options.retention)) {
    throw new InvalidOptionError(`${FIELD}.retention`, `must be one of ${retentionValues.join(', ')}, got ${String(options.retention)}`);
  }
  const tasks = options.tasks ?? [];
  if (!Array.isArray(tasks)) throw new InvalidOptionError(`${FIELD}.tasks`, 'must be an array of { taskId, deploy }');
  const seen = new Set<string>();
  tasks.forEach((task: TaskSpec, index) => {
    if (typeof task?.taskId !== 'string' || !isPathSafeId(task.taskId)) {
      throw new InvalidOptionError(`${FIELD}.tasks[${index}].taskId`, `must be a non-empty string of letters, digits, '.', '_' or '-', got ${JSON.stringify(task?.taskId)}`);
    }
    if (typeof task.deploy !== 'function') throw new InvalidOptionError(`${FIELD}.tasks[${index}].deploy`, 'must be a function that spawns an attempt of the task');
    if (seen.has(task.taskId)) throw new InvalidOptionError(`${FIELD}.tasks[${index}].taskId`, `'${task.taskId}' is used by more than one task`);
    seen.add(task.taskId);
  });
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new InvalidOptionError(`${FIELD}.onEvent`, 'must be a function');
  for (const key of Object.keys(REQUIRED_METHODS) as (keyof typeof REQUIRED_METHODS)[]) checkCollaborator(options, key);
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name.length === 0)) throw new InvalidOptionError(`${FIELD}.name`, `must be a non-empty string, got ${String(options.name)}`);
  const retained = integerAtLeast(options, 'retained', 1, 1);
  if (options.persistHistory === true && options.storage === undefined) {
    throw new InvalidOptionError(`${FIELD}.persistHistory`, 'needs a storage to persist the history to: pass `storage` (or leave persistHistory out)');
  }
  return {
    jobId: asJobId(options.jobId),
    interval,
    initialDelay: delay(options, 'initialDelay', 0, interval),
    timeout: delay(options, 'timeout', 1, 600_000),
    minPause: delay(options, 'minPause', 0, 0),
    maxConcurrent: integerAtLeast(options, 'maxConcurrent', 1, 1),
    tolerableFailures: integerAtLeast(options, 'tolerableFailures', 0, 0, true),
    retained,
    maxQueuedRequests: integerAtLeast(options, 'maxQueuedRequests', 1, 1000),
    maxPendingDiscards: integerAtLeast(options, 'maxPendingDiscards', 1, 1000),
    errorIfNoCheckpoint: flag(options, 'errorIfNoCheckpoint', false),
    allowNonRestoredState: flag(options, 'allowNonRestoredState', false),
    restartStrategy: validateRestartStrategy(options.restartStrategy, `${FIELD}.restartStrategy`),
    retention: options.retention ?? CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION,
    startScheduler: flag(options, 'startScheduler', true),
    tasks,
    clock: options.clock ?? systemClock,
    name: options.name ?? `checkpoint-coordinator-${options.jobId}`,
    logger: validateLogger(options.logger, `${FIELD}.logger`),
    historySize: integerAtLeast(options, 'historySize', 1, DEFAULT_HISTORY_SIZE),
    persistHistory: flag(options, 'persistHistory', options.storage !== undefined),
  };
}
