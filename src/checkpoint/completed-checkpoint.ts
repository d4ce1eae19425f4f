import type { CheckpointId, JobId, TaskId } from '../core/ids.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import type { CheckpointProperties } from './checkpoint-properties.js';

/**
 * A checkpoint every task acknowledged: the immutable record of one consistent cut of the job.
 * A PendingCheckpoint becomes one of these when its last acknowledgement arrives; the
 * CompletedCheckpointStore retains it until it is subsumed. Instances are deeply frozen.
 */
export interface CompletedCheckpoint {
  readonly jobId: JobId;
  readonly checkpointId: CheckpointId;
  readonly triggerTimestamp: number;
  readonly completionTimestamp: number;
  readonly properties: CheckpointProperties;
  readonly taskStates: Readonly<Record<TaskId, TaskStateSnapshot>>;
  /** Total bytes of state this checkpoint refers to (inline, private and shared). */
  readonly stateSize: number;
  /** Where the checkpoint's metadata was written, or null when it lives only in memory. */
  readonly externalPointer: string | null;
}
