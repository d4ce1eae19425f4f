import { CheckpointFailureReason, isPreFlight } from '../checkpoint/checkpoint-failure-reason.js';
import { LogLevel, logSafely, type LogFields, type Logger } from '../core/logger.js';
import type { CoordinatorEvent } from './coordinator-event.js';

/** How one coordinator event is logged: its level, its message and its structured fields. */
export interface CoordinatorEventLogLine {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/**
 * The log line of a coordinator event. Routine progress is debug or info; a failed checkpoint, a failed task and a
 * malformed message are warnings; a job that fails for good, storage failures and internal errors are errors. A
 * completed checkpoint is summarized (id, kind, duration, size), never logged with its task states.
 */
export function coordinatorEventLogLine(event: CoordinatorEvent): CoordinatorEventLogLine {
  const base = { event: event.type, jobId: event.jobId, timestamp: event.timestamp };
  const job = `job ${event.jobId}`;
  switch (event.type) {
    case 'checkpoint-triggered':
      return { level: LogLevel.DEBUG, fields: { ...base, checkpointId: event.checkpointId, savepoint: event.savepoint }, message: `${event.savepoint ? 'savepoint' : 'checkpoint'} ${event.checkpointId} of ${job} triggered` };
    case 'checkpoint-completed': {
      const { checkpoint } = event;
      const durationMs = checkpoint.completionTimestamp - checkpoint.triggerTimestamp;
      return {
        level: LogLevel.INFO,
        fields: { ...base, checkpointId: checkpoint.checkpointId, kind: checkpoint.properties.type, durationMs, stateSize: checkpoint.stateSize, tasks: Object.keys(checkpoint.taskStates).length, externalPointer: checkpoint.externalPointer },
        message: `${checkpoint.properties.type} ${checkpoint.checkpointId} of ${job} completed in ${durationMs} ms (${checkpoint.stateSize} bytes)`,
      };
    }
    case 'checkpoint-failed':
      // A refusal before any task was reached (the job is restarting, a queue is full) and a subsumption are expected now and then.
      return { level: event.checkpointId === null || isPreFlight(event.reason) || event.reason === CheckpointFailureReason.SUBSUMED ? LogLevel.INFO : LogLevel.WARN, fields: { ...base, checkpointId: event.checkpointId, reason: event.reason }, message: `${job}: ${event.message}` };
    case 'task-failed':
      return { level: LogLevel.WARN, fields: { ...base, taskId: event.taskId, attemptId: event.attemptId }, message: `task ${event.taskId} of ${job} failed: ${event.error}` };
    case 'task-restarted':
      return { level: LogLevel.INFO, fields: { ...base, taskId: event.taskId, attemptId: event.attemptId }, message: `task ${event.taskId} of ${job} restarted as attempt ${event.attemptId}` };
    case 'restart-scheduled':
      return { level: LogLevel.INFO, fields: { ...base, delayMs: event.delayMs, attempt: event.attempt }, message: `${job} restarts in ${event.delayMs} ms (restart ${event.attempt}): ${event.cause}` };
    case 'state-restored':
      return { level: LogLevel.INFO, fields: { ...base, checkpointId: event.checkpointId, tasks: event.tasks }, message: `${job}: ${event.tasks} task(s) restored ${event.checkpointId === null ? 'empty (no completed checkpoint)' : `to checkpoint ${event.checkpointId}`}` };
    case 'job-failed':
      return { level: LogLevel.ERROR, fields: base, message: `${job} failed: ${event.message}` };
    case 'restore-failed':
      return { level: LogLevel.ERROR, fields: base, message: `${job} cannot be restored: ${event.message}` };
    case 'malformed-message':
      return { level: LogLevel.WARN, fields: base, message: `the checkpoint coordinator of ${job} ignored a malformed message: ${event.problem}` };
    case 'storage-failure':
      return { level: LogLevel.ERROR, fields: base, message: `${job}: ${event.message}` };
    case 'state-discard-refused':
      return {
        level: LogLevel.WARN,
        fields: { ...base, checkpointId: event.checkpointId, refused: event.refused },
        message: `the checkpoint coordinator of ${job} kept ${event.refused.length} file(s) it was asked to discard for checkpoint ${event.checkpointId}: ${event.refused.map((each) => `${each.path} (${each.reason})`).join('; ')}`,
      };
    case 'internal-error':
      return { level: LogLevel.ERROR, fields: base, message: `the checkpoint coordinator of ${job} failed: ${event.message}` };
  }
}

/** Logs a coordinator event at its level; a logger that throws is ignored. */
export function logCoordinatorEvent(logger: Logger, event: CoordinatorEvent): void {
  const line = coordinatorEventLogLine(event);
  logSafely(logger, line.level, line.fields, line.message);
}
