declare const brand: unique symbol;
type Branded<T, Name extends string> = T & { readonly [brand]: Name };

/** Names one job: every message and stored file carries it, and messages of another job are ignored. */
export type JobId = Branded<string, 'JobId'>;
/** Names one task (a vertex instance) of a job; stable across restarts. */
export type TaskId = Branded<string, 'TaskId'>;
/** Names one incarnation of a task: a restarted task gets a new attempt id, and acks of older attempts are discarded. */
export type AttemptId = Branded<string, 'AttemptId'>;
/** Checkpoint ids start at 1, are strictly increasing and are never reused. */
export type CheckpointId = Branded<number, 'CheckpointId'>;

export const asJobId = (value: string): JobId => value as JobId;
export const asTaskId = (value: string): TaskId => value as TaskId;
export const asAttemptId = (value: string): AttemptId => value as AttemptId;
export const asCheckpointId = (value: number): CheckpointId => value as CheckpointId;
