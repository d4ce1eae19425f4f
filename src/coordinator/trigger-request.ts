import type { TypedRef } from '../actor/typed-ref.js';
import type { CheckpointRetention } from '../checkpoint/checkpoint-properties.js';
import type { CheckpointOutcome } from '../protocol/checkpoint-outcome.js';

/** What asked for a checkpoint: the periodic timer, a client (`TriggerCheckpointNow`), or a savepoint request. */
export type TriggerKind = 'periodic' | 'manual' | 'savepoint';

/** One request for a checkpoint or savepoint, waiting in the coordinator's queue until it can run. */
export interface TriggerRequest {
  readonly kind: TriggerKind;
  readonly replyTo: TypedRef<CheckpointOutcome> | null;
  readonly retention: CheckpointRetention;
  /** Savepoints only: where the self-contained copy goes (absolute). Absent: none. */
  readonly targetDirectory?: string;
}
