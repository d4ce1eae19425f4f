import { isAbsolute } from 'node:path';
import { isBlobKey } from '../blob/blob-key.js';
import { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import { validateCoordinatorOptions, type CheckpointCoordinatorOptions } from '../coordinator/coordinator-options.js';
import { InvalidOptionError } from '../core/invalid-option-error.js';
import { isRecord, onlyKnownKeys } from './definition-fields.js';
import type { JsonValue } from '../core/json.js';
import { findJsonProblem } from '../core/json-problem.js';
import { isPathSafeId } from '../core/path-safe-id.js';
import { RestoreMode } from '../recovery/restore-mode.js';
import { validateDataflowDefinition, type DataflowDefinition } from './dataflow-definition.js';

/** One task of a job: its id, the operator kind that runs it, and that kind's configuration. */
export interface TaskDefinition {
  /** Letters, digits, `.`, `_`, `-`; stable across restarts (its state is found by it). */
  readonly taskId: string;
  /** The operator kind's name: registered in every job manager (`operators`), or exported by the job's operator bundle. */
  readonly operator: string;
  /** Handed to the operator kind as `context.config`. Default null. */
  readonly config?: JsonValue;
}

/**
 * The checkpoint options of a job, as JSON (the coordinator's options without functions and collaborators). A number
 * that may be unlimited (`tolerableFailures`, a restart strategy's `attempts` and `attemptsBeforeResetBackoff`) is
 * written `null` for no limit, as `JSON.stringify(Infinity)` writes it.
 */
export interface CheckpointingDefinition {
  readonly interval: number;
  readonly initialDelay?: number;
  readonly timeout?: number;
  readonly minPause?: number;
  readonly maxConcurrent?: number;
  readonly tolerableFailures?: number | null;
  readonly retained?: number;
  readonly maxQueuedRequests?: number;
  readonly maxPendingDiscards?: number;
  readonly errorIfNoCheckpoint?: boolean;
  readonly allowNonRestoredState?: boolean;
  /** What a terminal end of the job does to its retained checkpoints. Default never-retain-after-termination. */
  readonly retention?: CheckpointRetention;
  readonly restartStrategy?: { readonly kind: string; readonly [field: string]: JsonValue };
  /** Default true. */
  readonly startScheduler?: boolean;
}

/** Where a job's checkpoints are written: a FileSystemCheckpointStorage base every job manager of the cluster reaches. */
export interface StorageDefinition {
  /** An absolute path (job managers may run in different working directories). */
  readonly baseDirectory: string;
}

/** A savepoint or retained checkpoint a job is started from (its first start only). */
export interface RestoreDefinition {
  /** Absolute: a savepoint directory, a retained checkpoint's `<base>/<jobId>/chk-<id>`, or either one's `_metadata`. */
  readonly path: string;
  /** Default no-claim. */
  readonly mode?: RestoreMode;
}

/** What every job definition has, whatever runs it. */
interface JobDefinitionCommon {
  /** Letters, digits, `.`, `_`, `-`, at most 196 characters (it names the job's directory and leader election). */
  readonly jobId: string;
  readonly checkpointing: CheckpointingDefinition;
  readonly storage: StorageDefinition;
  /** The blob key of an operator bundle of the job (see `putOperatorBundle`): kinds no job manager registered are loaded from it. */
  readonly operatorBundle?: string;
  readonly restoreFrom?: RestoreDefinition;
}

/** A job of operator tasks: each task runs an operator kind and handles its own messages. */
export interface TaskJobDefinition extends JobDefinitionCommon {
  readonly tasks: readonly TaskDefinition[];
  readonly dataflow?: undefined;
}

/** A dataflow job: sources, operators and sinks exchanging records, snapshotted consistently by barriers. */
export interface DataflowJobDefinition extends JobDefinitionCommon {
  readonly dataflow: DataflowDefinition;
  readonly tasks?: undefined;
}

/**
 * A job as data (Flink's job graph): what a job manager persists in the job graph store before running it, and what any
 * job manager recovers it from. Everything is JSON: kinds are named, never given as functions. A job has either `tasks`
 * (operator tasks) or `dataflow` (a graph of sources, operators and sinks).
 */
export type JobDefinition = TaskJobDefinition | DataflowJobDefinition;

const FIELD = 'JobDefinition';
const MAX_JOB_ID_LENGTH = 196;
const TOP_LEVEL = ['jobId', 'tasks', 'dataflow', 'checkpointing', 'storage', 'operatorBundle', 'restoreFrom'];
const CHECKPOINTING = [
  'interval', 'initialDelay', 'timeout', 'minPause', 'maxConcurrent', 'tolerableFailures', 'retained', 'maxQueuedRequests',
  'maxPendingDiscards', 'errorIfNoCheckpoint', 'allowNonRestoredState', 'retention', 'restartStrategy', 'startScheduler',
];
const UNLIMITED_ATTEMPTS = ['attempts', 'attemptsBeforeResetBackoff'];

function absolutePath(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || !isAbsolute(value)) {
    throw new InvalidOptionError(field, `must be an absolute path (job managers may run in other working directories), got ${JSON.stringify(value)}`);
  }
  return value;
}

function validateTasks(tasks: unknown): void {
  if (!Array.isArray(tasks) || tasks.length === 0) throw new InvalidOptionError(`${FIELD}.tasks`, 'must be a non-empty array of { taskId, operator, config? } (or give dataflow instead, for a dataflow job)');
  const taskIds = new Set<string>();
  tasks.forEach((task: unknown, index) => {
    const field = `${FIELD}.tasks[${index}]`;
    if (!isRecord(task)) throw new InvalidOptionError(field, 'must be an object { taskId, operator, config? }');
    onlyKnownKeys(task, ['taskId', 'operator', 'config'], field);
    if (!isPathSafeId(task.taskId)) throw new InvalidOptionError(`${field}.taskId`, `must be letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(task.taskId)}`);
    if (taskIds.has(task.taskId)) throw new InvalidOptionError(`${field}.taskId`, `'${task.taskId}' is used by more than one task`);
    taskIds.add(task.taskId);
    if (typeof task.operator !== 'string' || task.operator.length === 0) throw new InvalidOptionError(`${field}.operator`, `must name an operator kind, got ${JSON.stringify(task.operator)}`);
  });
}

/**
 * Checks a job definition once, at the edge (a submission, or a definition recovered from the job graph store), and
 * returns it as given: the coordinator options are checked as `spawnCheckpointCoordinator` would check them.
 * @throws InvalidOptionError naming the first invalid field, e.g. `JobDefinition.tasks[1].operator must be ...`,
 *   `JobDefinition.dataflow.vertices[2].inputs[0].from names no vertex of this dataflow ...` or
 *   `JobDefinition.checkpointing.interval must be an integer >= 1, got 0`.
 */
export function validateJobDefinition(value: unknown): JobDefinition {
  if (!isRecord(value)) throw new InvalidOptionError(FIELD, 'must be an object { jobId, tasks | dataflow, checkpointing, storage }');
  const problem = findJsonProblem(value, FIELD);
  if (problem !== null) throw new InvalidOptionError(FIELD, `must be JSON (a job is data, kept in the job graph store): ${problem}`);
  onlyKnownKeys(value, TOP_LEVEL, FIELD);
  if (!isPathSafeId(value.jobId) || value.jobId.length > MAX_JOB_ID_LENGTH) {
    throw new InvalidOptionError(`${FIELD}.jobId`, `must be 1 to ${MAX_JOB_ID_LENGTH} letters, digits, '.', '_' or '-', starting with a letter or digit, got ${JSON.stringify(value.jobId)}`);
  }
  if (value.tasks !== undefined && value.dataflow !== undefined) {
    throw new InvalidOptionError(FIELD, 'has both tasks and dataflow: a job runs either operator tasks or a dataflow graph, give one of them');
  }
  if (value.dataflow !== undefined) validateDataflowDefinition(value.dataflow, `${FIELD}.dataflow`);
  else validateTasks(value.tasks);
  if (!isRecord(value.checkpointing)) throw new InvalidOptionError(`${FIELD}.checkpointing`, 'must be an object with at least an interval');
  onlyKnownKeys(value.checkpointing, CHECKPOINTING, `${FIELD}.checkpointing`);
  try {
    validateCoordinatorOptions(coordinatorOptionsOf(value as unknown as JobDefinition));
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new InvalidOptionError(error.field.replace(/^CheckpointCoordinatorOptions/, `${FIELD}.checkpointing`), error.problem);
    throw error;
  }
  if (!isRecord(value.storage)) throw new InvalidOptionError(`${FIELD}.storage`, 'must be an object { baseDirectory }');
  onlyKnownKeys(value.storage, ['baseDirectory'], `${FIELD}.storage`);
  absolutePath(value.storage.baseDirectory, `${FIELD}.storage.baseDirectory`);
  if (value.operatorBundle !== undefined && !isBlobKey(value.operatorBundle)) {
    throw new InvalidOptionError(`${FIELD}.operatorBundle`, `must be a blob key (64 lowercase hex digits, as putOperatorBundle returns), got ${JSON.stringify(value.operatorBundle)}`);
  }
  if (value.restoreFrom !== undefined) {
    const field = `${FIELD}.restoreFrom`;
    if (!isRecord(value.restoreFrom)) throw new InvalidOptionError(field, 'must be an object { path, mode? }');
    onlyKnownKeys(value.restoreFrom, ['path', 'mode'], field);
    absolutePath(value.restoreFrom.path, `${field}.path`);
    const modes: readonly unknown[] = Object.values(RestoreMode);
    if (value.restoreFrom.mode !== undefined && !modes.includes(value.restoreFrom.mode)) {
      throw new InvalidOptionError(`${field}.mode`, `must be one of ${modes.join(', ')}, got ${JSON.stringify(value.restoreFrom.mode)}`);
    }
  }
  return value as unknown as JobDefinition;
}

/** The coordinator options a definition stands for (without tasks and collaborators; `null` read as no limit). */
export function coordinatorOptionsOf(definition: JobDefinition): CheckpointCoordinatorOptions {
  const { tolerableFailures, restartStrategy, ...rest } = definition.checkpointing;
  const strategy = restartStrategy === undefined ? undefined : Object.fromEntries(
    Object.entries(restartStrategy).map(([key, field]) => [key, field === null && UNLIMITED_ATTEMPTS.includes(key) ? Number.POSITIVE_INFINITY : field]),
  );
  return {
    ...rest,
    jobId: definition.jobId,
    ...(tolerableFailures === undefined ? {} : { tolerableFailures: tolerableFailures === null ? Number.POSITIVE_INFINITY : tolerableFailures }),
    ...(strategy === undefined ? {} : { restartStrategy: strategy as unknown as CheckpointCoordinatorOptions['restartStrategy'] }),
  };
}

/** The retention of a definition's checkpoints. */
export function retentionOf(definition: JobDefinition): CheckpointRetention {
  return definition.checkpointing.retention ?? CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION;
}
