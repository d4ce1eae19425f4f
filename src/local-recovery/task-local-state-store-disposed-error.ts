import type { JobId, TaskId } from '../core/ids.js';

/** Thrown by a TaskLocalStateStore used after `dispose()`: open a new store over the directory instead. */
export class TaskLocalStateStoreDisposedError extends Error {
  override readonly name = 'TaskLocalStateStoreDisposedError';
  constructor(
    readonly jobId: JobId,
    readonly taskId: TaskId,
    readonly operation: string,
  ) {
    super(`TaskLocalStateStore.${operation}: the task-local state store of task ${taskId} (job ${jobId}) was disposed; open a new one with TaskLocalStateStore.open`);
  }
}
