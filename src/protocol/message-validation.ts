import { isActorRef } from '../actor/typed-ref.js';
import { JobStatus } from '../core/job-status.js';
import { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';

const ENVELOPE_IDS = ['jobId', 'taskId', 'attemptId'] as const;
const TASK_MESSAGES = new Set(['AcknowledgeCheckpoint', 'DeclineCheckpoint', 'TaskFailed']);
const REQUESTS = new Set([
  'TriggerCheckpointNow', 'TriggerSavepoint', 'GetCheckpointStats', 'RestoreLatestCheckpoint',
  'StartCheckpointScheduler', 'StopCheckpointScheduler', 'RegisterTask', 'GetTasks', 'ShutdownCoordinator',
]);
const RETENTIONS: readonly string[] = Object.values(CheckpointRetention);
const JOB_STATUSES: readonly string[] = Object.values(JobStatus);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function oneOf(field: string, allowed: readonly string[], value: unknown): string | null {
  return allowed.includes(value as string) ? null : `${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value) ?? String(value)}`;
}

/**
 * Says what is wrong with a message sent to a coordinator by a task or a client, or returns null when its every field
 * is well formed: the envelope of task messages, and each field of client requests (reply refs, retention, job status,
 * task specs). The state inside an acknowledgement is checked apart, by `describeMalformedTaskState`, since it needs
 * the job and checkpoint to say where its files may lie.
 */
export function describeMalformedMessage(message: unknown): string | null {
  if (!isRecord(message)) return `expected a message object, got ${message === null ? 'null' : typeof message}`;
  const type = message.type;
  if (typeof type !== 'string') return 'message has no string `type`';
  if (TASK_MESSAGES.has(type)) {
    for (const field of ENVELOPE_IDS) {
      if (typeof message[field] !== 'string') return `${type}.${field} must be a string, got ${typeof message[field]}`;
    }
    if (type !== 'TaskFailed' && !(Number.isSafeInteger(message.checkpointId) && (message.checkpointId as number) >= 1)) {
      return `${type}.checkpointId must be a positive integer, got ${String(message.checkpointId)}`;
    }
    if (type === 'DeclineCheckpoint' && typeof message.reason !== 'string') return `DeclineCheckpoint.reason must be a string, got ${typeof message.reason}`;
    if (type === 'TaskFailed' && typeof message.error !== 'string') return `TaskFailed.error must be a string, got ${typeof message.error}`;
    return null;
  }
  if (REQUESTS.has(type)) {
    if (!isActorRef(message.replyTo)) return `${type}.replyTo must be an actor ref`;
    return describeRequestFields(type, message);
  }
  return `unknown message type '${type}'`;
}

/** What is wrong with a request's fields other than `replyTo`, or null. */
export function describeRequestFields(type: string, message: Record<string, unknown>): string | null {
  switch (type) {
    case 'TriggerSavepoint':
      if (message.targetDirectory !== undefined && (typeof message.targetDirectory !== 'string' || message.targetDirectory.length === 0)) {
        return `TriggerSavepoint.targetDirectory must be a non-empty directory path, got ${JSON.stringify(message.targetDirectory) ?? String(message.targetDirectory)}`;
      }
      return message.retention === undefined ? null : oneOf('TriggerSavepoint.retention', RETENTIONS, message.retention);
    case 'ShutdownCoordinator':
      return oneOf('ShutdownCoordinator.jobStatus', JOB_STATUSES, message.jobStatus);
    case 'RegisterTask': {
      const task = message.task;
      return isRecord(task) && typeof task.taskId === 'string' && typeof task.deploy === 'function' ? null : 'RegisterTask.task must be { taskId: string, deploy: function }';
    }
    default:
      return null;
  }
}
