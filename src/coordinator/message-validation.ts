const ENVELOPE_IDS = ['jobId', 'taskId', 'attemptId'] as const;
const TASK_MESSAGES = new Set(['AcknowledgeCheckpoint', 'DeclineCheckpoint', 'TaskFailed']);
const REQUESTS = new Set([
  'TriggerCheckpointNow', 'TriggerSavepoint', 'GetCheckpointStats', 'RestoreLatestCheckpoint',
  'StartCheckpointScheduler', 'StopCheckpointScheduler', 'RegisterTask', 'GetTasks', 'ShutdownCoordinator',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Says what is wrong with a message the coordinator received, or returns null when it is well formed.
 * Internal messages (those the coordinator sends itself) are trusted and pass.
 */
export function describeMalformedMessage(message: unknown, internalTypes: ReadonlySet<string>): string | null {
  if (!isRecord(message)) return `expected a message object, got ${message === null ? 'null' : typeof message}`;
  const type = message.type;
  if (typeof type !== 'string') return 'message has no string `type`';
  if (internalTypes.has(type)) return null;
  if (TASK_MESSAGES.has(type)) {
    for (const field of ENVELOPE_IDS) {
      if (typeof message[field] !== 'string') return `${type}.${field} must be a string, got ${typeof message[field]}`;
    }
    if (type !== 'TaskFailed' && !(Number.isSafeInteger(message.checkpointId) && (message.checkpointId as number) >= 1)) {
      return `${type}.checkpointId must be a positive integer, got ${String(message.checkpointId)}`;
    }
    if (type === 'AcknowledgeCheckpoint') {
      const state = message.state;
      if (!isRecord(state) || !Array.isArray(state.keyedState) || !('operatorState' in state)) {
        return 'AcknowledgeCheckpoint.state must be a TaskStateSnapshot { operatorState, keyedState: [] }';
      }
    }
    return null;
  }
  if (REQUESTS.has(type)) {
    if (!isRecord(message.replyTo)) return `${type}.replyTo must be an actor ref`;
    if (type === 'RegisterTask' && (!isRecord(message.task) || typeof message.task.taskId !== 'string' || typeof message.task.deploy !== 'function')) {
      return 'RegisterTask.task must be { taskId: string, deploy: function }';
    }
    if (type === 'ShutdownCoordinator' && typeof message.jobStatus !== 'string') return 'ShutdownCoordinator.jobStatus must be a JobStatus';
    return null;
  }
  return `unknown message type '${type}'`;
}
