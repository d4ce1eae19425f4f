import type { CheckpointId } from '../core/ids.js';
import type { CheckpointFailureReason } from '../checkpoint/checkpoint-failure-reason.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';

/** The answer to a trigger or savepoint request, sent when the checkpoint completes or fails. */
export type CheckpointOutcome =
  | {
      readonly status: 'completed';
      readonly checkpoint: CompletedCheckpoint;
      /** For a savepoint with a target directory: the absolute path of the self-contained savepoint directory written there. */
      readonly savepointPath?: string;
    }
  | {
      readonly status: 'failed';
      /** Null when the request failed before an id was assigned. */
      readonly checkpointId: CheckpointId | null;
      readonly reason: CheckpointFailureReason;
      readonly message: string;
    };

/** The answer to a restore request. */
export type RestoreOutcome =
  | { readonly status: 'restored'; readonly checkpointId: CheckpointId | null }
  | { readonly status: 'failed'; readonly message: string };
