import type { CheckpointId, JobId } from '../core/ids.js';
import type { CompletedCheckpoint } from '../checkpoint/completed-checkpoint.js';
import type { TaskStateSnapshot } from '../state/state-handles.js';
import { fileHandlesOf } from '../state/state-files.js';
import { storageLayout } from '../storage/storage-layout.js';
import type { CheckpointStateCleaner } from './checkpoint-state-cleaner.js';
import { DiscardDeferral } from './discard-deferral.js';

/** A file the coordinator was asked to discard and left alone, and why. */
export interface DiscardRefusal {
  readonly path: string;
  readonly reason: string;
}

/** What the cleaner needs to know of the coordinator, asked when a discard runs. */
export interface CheckpointCleanerView {
  /** Checkpoints pending or being finalized. */
  inFlightIds(): Set<number>;
  /** Whether the store retains the checkpoint (or savepoint) with this id. */
  isRetained(checkpointId: number): boolean;
  /** The files a retained checkpoint references, or null when the store does not retain it. */
  filesOfRetained(checkpointId: number): ReadonlySet<string> | null;
}

/**
 * The coordinator's one discard path. Every way a checkpoint ends without completing (declined, expired, subsumed,
 * finalize failure, store refusal, failover, shutdown) and every acknowledgement whose state nobody keeps (late,
 * from an unknown attempt) goes through it, under one rule: a file may be deleted only when it lies in this job's
 * upload area for that checkpoint (`<job>/chk-<id>/` for private files, `<job>/shared/` for shared ones), no retained
 * checkpoint references it (the registry and the store know), and no checkpoint still in flight can carry it (the
 * {@link DiscardDeferral}). Task-owned files (`<job>/taskowned/`) are the task's and never deleted here; anything
 * else is left alone and reported.
 */
export class CheckpointCleaner {
  private readonly deferral: DiscardDeferral;

  constructor(
    private readonly jobId: JobId,
    private readonly files: CheckpointStateCleaner,
    private readonly view: CheckpointCleanerView,
    private readonly report: (checkpointId: CheckpointId, refused: readonly DiscardRefusal[]) => void,
  ) {
    this.deferral = new DiscardDeferral(() => view.inFlightIds());
  }

  /** Registers a completed checkpoint's shared state. @throws what the state cleaner throws (e.g. an unknown placeholder). */
  registerCompleted(checkpoint: CompletedCheckpoint): CompletedCheckpoint {
    return this.files.registerCompleted(checkpoint);
  }

  /**
   * A checkpoint that was pending ended without completing: its directory (private files, metadata) goes at once, since
   * no other checkpoint may reference files in it; its shared files once no checkpoint in flight can carry them.
   */
  discardAborted(checkpointId: CheckpointId, states: readonly TaskStateSnapshot[]): void {
    this.files.discardCheckpointDirectory(this.jobId, checkpointId);
    this.discardWhenSafe(checkpointId, states, true);
  }

  /**
   * A checkpoint that was registered failed to finalize (metadata write, store add): its registrations are taken back,
   * then it is discarded like an aborted one. When the store retains a checkpoint with the same id (a stale coordinator,
   * an id counter gone backwards), that one's directory and registrations are the same: nothing is touched and the
   * files are reported as kept.
   */
  discardFailedFinalization(checkpoint: CompletedCheckpoint): void {
    const states = Object.values(checkpoint.taskStates);
    if (this.view.isRetained(checkpoint.checkpointId)) {
      const paths = [...new Set(states.flatMap((state) => [...fileHandlesOf(state)].map((file) => file.path)))];
      this.report(checkpoint.checkpointId, paths.map((path) => ({ path, reason: `the store retains another checkpoint ${checkpoint.checkpointId}` })));
      return;
    }
    this.files.releaseRegistrations(checkpoint);
    this.discardAborted(checkpoint.checkpointId, states);
  }

  /** The state of an acknowledgement nobody keeps (late, for an aborted checkpoint, from an unknown attempt). */
  discardUnclaimed(checkpointId: CheckpointId, state: TaskStateSnapshot): void {
    this.discardWhenSafe(checkpointId, [state], false);
  }

  /** A checkpoint completed or failed: discards that waited for it may run. */
  settled(checkpointId: CheckpointId): void {
    this.deferral.settled(checkpointId);
  }

  pendingDiscards(): number {
    return this.files.pendingDiscards();
  }

  private discardWhenSafe(checkpointId: CheckpointId, states: readonly TaskStateSnapshot[], directoryDiscarded: boolean): void {
    if (states.length === 0) return;
    // The checkpoint a discarded directory belonged to has ended; unclaimed state waits for the checkpoint it names too.
    this.deferral.giveUp(checkpointId, () => this.discardOwnedFiles(checkpointId, states, directoryDiscarded), !directoryDiscarded);
  }

  /** Applies the rule to every file the states name, when the deferral says it is time. */
  private discardOwnedFiles(checkpointId: CheckpointId, states: readonly TaskStateSnapshot[], directoryDiscarded: boolean): void {
    const areas = storageLayout.uploadAreas(this.jobId, checkpointId);
    const refused: DiscardRefusal[] = [];
    const seen = new Set<string>();
    // Null unless the checkpoint the states name is retained: then its own files must stay (others in its directory may
    // go). Asked for at the first private file only: most unclaimed states name none.
    let retainedFiles: ReadonlySet<string> | null | undefined;
    const retained = (path: string): boolean => {
      if (retainedFiles === undefined) retainedFiles = this.view.filesOfRetained(checkpointId);
      return retainedFiles?.has(path) === true;
    };
    for (const state of states) {
      for (const { path, position } of fileHandlesOf(state)) {
        if (seen.has(path)) continue;
        seen.add(path);
        if (path.startsWith(areas.taskOwned)) continue;
        const area = areas[position];
        if (!path.startsWith(area)) {
          refused.push({ path, reason: `a ${position} file of checkpoint ${checkpointId} must lie in ${area}` });
        } else if (position === 'private' && retained(path)) {
          refused.push({ path, reason: `retained checkpoint ${checkpointId} references it` });
        } else if (position === 'shared' && this.files.isSharedFileReferenced(path)) {
          // Shared by a retained checkpoint: keeping it is the normal case, not a refusal worth reporting.
          continue;
        } else if (position === 'shared' || !directoryDiscarded) {
          this.files.discardFile(path);
        }
      }
    }
    if (refused.length > 0) this.report(checkpointId, refused);
  }
}
