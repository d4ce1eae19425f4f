import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { DiscardCause } from '../checkpoint/completed-checkpoint-store.js';
import { StandaloneCompletedCheckpointStore } from '../checkpoint/standalone-completed-checkpoint-store.js';

/** A checkpoint the plan let go of, and why. */
export interface PlannedRelease {
  readonly checkpoint: CompletedCheckpoint;
  readonly cause: DiscardCause;
}

/**
 * The in-memory view of a high-availability completed checkpoint store: a StandaloneCompletedCheckpointStore whose
 * discards are only recorded. The store works out each change on a copy ({@link copy}), so the standalone rules
 * (id order, savepoints beside the chain, subsumption beyond `maxRetained`, retention on shutdown) decide what
 * happens, makes that change durable, and only then adopts the copy.
 */
export class RetainedCheckpointPlan extends StandaloneCompletedCheckpointStore {
  /** What the standalone rules released since this plan was made, in order. */
  readonly released: PlannedRelease[];

  private constructor(maxRetained: number, released: PlannedRelease[]) {
    super({ maxRetained, discarder: { discard: async (checkpoint, cause) => { released.push({ checkpoint, cause }); } } });
    this.released = released;
  }

  /**
   * A plan retaining `checkpoints` (ascending); those beyond `maxRetained` are returned as `subsumed`, oldest first.
   * @throws RangeError naming `maxRetained` when it is not an integer of at least 1.
   */
  static of(maxRetained: number, checkpoints: readonly CompletedCheckpoint[]): { plan: RetainedCheckpointPlan; subsumed: CompletedCheckpoint[] } {
    const plan = new RetainedCheckpointPlan(maxRetained, []);
    const subsumed = plan.retainRecovered(checkpoints);
    return { plan, subsumed };
  }

  /** A fresh plan with the same checkpoints and nothing released yet. */
  copy(): RetainedCheckpointPlan {
    return RetainedCheckpointPlan.of(this.maxRetained, this.getAllCheckpoints()).plan;
  }
}
