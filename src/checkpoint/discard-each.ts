import type { CompletedCheckpoint } from './completed-checkpoint.js';
import type { CompletedCheckpointDiscarder, DiscardCause } from './completed-checkpoint-store.js';

/** A discard that threw or rejected. The store carries on; the state may be left behind for the audit to find. */
export interface CompletedCheckpointDiscardFailure {
  readonly checkpoint: CompletedCheckpoint;
  readonly cause: DiscardCause;
  readonly error: unknown;
}

/**
 * Discards one checkpoint after another, as every store does when it lets checkpoints go: a discard that throws or
 * rejects is reported to `onFailure` and does not stop the rest, and a listener that throws is ignored, so a reported
 * discard failure never turns into a failed add or shutdown.
 */
export async function discardEach(
  discarder: CompletedCheckpointDiscarder,
  checkpoints: readonly CompletedCheckpoint[],
  cause: DiscardCause,
  onFailure: (failure: CompletedCheckpointDiscardFailure) => void,
): Promise<void> {
  for (const checkpoint of checkpoints) {
    try {
      await discarder.discard(checkpoint, cause);
    } catch (error) {
      try {
        onFailure({ checkpoint, cause, error });
      } catch {
        // Ignored: the failure was reported as far as the listener let it be.
      }
    }
  }
}
