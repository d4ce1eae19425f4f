import type { CoordinatorToTaskMessage } from '../protocol/task-protocol.js';

/** Carries one of the task's own (non-protocol) messages to its operator's `onMessage`. */
export interface Deliver<M> {
  readonly type: 'Deliver';
  readonly payload: M;
}

/** Everything a task actor spawned by `spawnTask` accepts. */
export type TaskMessage<M> = CoordinatorToTaskMessage | Deliver<M>;
