/**
 * Why a checkpoint could not be triggered or was aborted. `preFlight` reasons happen before any
 * task was reached; only `countsAsFailure` reasons count toward `tolerableFailures`.
 */
export const CheckpointFailureReason = {
  COORDINATOR_SHUTDOWN: 'coordinator-shutdown',
  NOT_ALL_TASKS_RUNNING: 'not-all-tasks-running',
  NO_TASKS: 'no-tasks',
  TOO_MANY_CONCURRENT_CHECKPOINTS: 'too-many-concurrent-checkpoints',
  MINIMUM_PAUSE_NOT_ELAPSED: 'minimum-pause-not-elapsed',
  TOO_MANY_QUEUED_REQUESTS: 'too-many-queued-requests',
  TOO_MANY_PENDING_DISCARDS: 'too-many-pending-discards',
  ID_COUNTER_FAILURE: 'id-counter-failure',
  EXPIRED: 'expired',
  DECLINED: 'declined',
  SUBSUMED: 'subsumed',
  FINALIZE_FAILURE: 'finalize-failure',
  IO_FAILURE: 'io-failure',
  TASK_FAILURE: 'task-failure',
  JOB_FAILOVER: 'job-failover',
} as const;
export type CheckpointFailureReason = (typeof CheckpointFailureReason)[keyof typeof CheckpointFailureReason];

const PRE_FLIGHT: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.COORDINATOR_SHUTDOWN,
  CheckpointFailureReason.NOT_ALL_TASKS_RUNNING,
  CheckpointFailureReason.NO_TASKS,
  CheckpointFailureReason.TOO_MANY_CONCURRENT_CHECKPOINTS,
  CheckpointFailureReason.MINIMUM_PAUSE_NOT_ELAPSED,
  CheckpointFailureReason.TOO_MANY_QUEUED_REQUESTS,
  CheckpointFailureReason.TOO_MANY_PENDING_DISCARDS,
  CheckpointFailureReason.ID_COUNTER_FAILURE,
]);

const COUNTED: ReadonlySet<CheckpointFailureReason> = new Set<CheckpointFailureReason>([
  CheckpointFailureReason.EXPIRED,
  CheckpointFailureReason.DECLINED,
  CheckpointFailureReason.FINALIZE_FAILURE,
  CheckpointFailureReason.IO_FAILURE,
]);

/** True when the reason arose before any task was asked to snapshot. */
export function isPreFlight(reason: CheckpointFailureReason): boolean {
  return PRE_FLIGHT.has(reason);
}

/** True for declined, expired and I/O failures: the only reasons counted toward `tolerableFailures`. */
export function countsAsFailure(reason: CheckpointFailureReason): boolean {
  return COUNTED.has(reason);
}
