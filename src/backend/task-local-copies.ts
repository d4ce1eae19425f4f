import { errorMessage } from '../core/error-message.js';
import type { CheckpointId } from '../core/ids.js';
import { KeyGroupRanges } from '../state/key-groups.js';
import type { FileStateHandle, KeyedStateHandle, PlaceholderStreamStateHandle, StreamStateHandle } from '../state/state-handles.js';
import type { TaskLocalSnapshotStorage } from './task-local-snapshot-storage.js';

/** What a restore got when it asked for the task-local copy of one durable file. */
export type TaskLocalRead =
  | { readonly used: true; readonly bytes: Uint8Array; readonly local: FileStateHandle }
  /** `rejected`: a local copy existed but did not match the durable handle or failed verification (it was deleted and reported). */
  | { readonly used: false; readonly reason: string; readonly rejected: boolean };

/** Supplies verified task-local copies of the durable files a restore reads. */
export interface TaskLocalCopySource {
  /** The verified bytes of the task-local copy of `durable`, or why there is none. Never rejects: the restore then reads the durable copy. */
  read(durable: FileStateHandle): Promise<TaskLocalRead>;
}

/** A task-local copy a restore refused because it did not match the durable handle or failed verification. */
export interface TaskLocalCopyRejection {
  /** The checkpoint being restored. */
  readonly checkpointId: CheckpointId;
  readonly durable: FileStateHandle;
  readonly local: FileStateHandle;
  readonly reason: string;
  /** Whether the rejected local file was deleted (false when the deletion itself failed). */
  readonly deleted: boolean;
}

/** The inputs of {@link matchTaskLocalCopies}. */
export interface TaskLocalCopyMatch {
  /** The checkpoint being restored (the one RestoreState names). */
  readonly checkpointId: CheckpointId;
  /** The keyed handles of the task-local copy kept for that checkpoint, or null when there is none (lost disk, never written). */
  readonly localState: readonly KeyedStateHandle[] | null;
  /** The durable handles the coordinator sent. */
  readonly durableState: readonly KeyedStateHandle[];
  readonly storage: TaskLocalSnapshotStorage;
  /** Told about every local copy that was refused (and deleted). */
  readonly onRejected: (rejection: TaskLocalCopyRejection) => void;
}

type Plan =
  | { readonly kind: 'use'; readonly local: FileStateHandle }
  | { readonly kind: 'reject'; readonly local: FileStateHandle; readonly reason: string }
  | { readonly kind: 'none'; readonly reason: string };

type AnyStream = StreamStateHandle | PlaceholderStreamStateHandle;

/** The files of a keyed handle, each under a name that says where in the handle it sits. */
function filesOf(handle: KeyedStateHandle): Map<string, AnyStream> {
  if (handle.kind === 'key-groups') return new Map([['stream', handle.stream]]);
  const files = new Map<string, AnyStream>([['meta', handle.metaState]]);
  for (const ref of handle.sharedState) files.set(`shared:${ref.handleId}`, ref.handle);
  for (const ref of handle.privateState) files.set(`private:${ref.handleId}`, ref.handle);
  return files;
}

const describeFile = (file: FileStateHandle): string => `${file.size} bytes, checksum ${file.checksum.slice(0, 12)}…`;

/** Why the local handle as a whole cannot stand for the durable one, or null when it can. */
function handleMismatch(checkpointId: CheckpointId, durable: KeyedStateHandle, local: KeyedStateHandle): string | null {
  if (durable.kind === 'incremental' && local.kind === 'incremental') {
    if (local.backendId !== durable.backendId || local.checkpointId !== durable.checkpointId) {
      return `the task-local copy is of backend ${local.backendId}, checkpoint ${local.checkpointId}; the durable handle is of backend ${durable.backendId}, checkpoint ${durable.checkpointId}`;
    }
    if (durable.checkpointId !== checkpointId) return `the durable handle is of checkpoint ${durable.checkpointId}, not of the restored checkpoint ${checkpointId}`;
  }
  if (durable.kind === 'key-groups' && local.kind === 'key-groups' && (local.offsets.length !== durable.offsets.length || local.offsets.some((offset, index) => offset !== durable.offsets[index]))) {
    return 'the task-local copy has other key-group offsets than the durable handle';
  }
  return null;
}

/**
 * Decides, file by file, whether the task-local copy of a checkpoint may stand in for the durable copy the coordinator
 * sent: only a local handle of the same kind and key-group range (and, for incremental state, the same backend and
 * checkpoint) qualifies, and each of its files must have the durable file's size and checksum. Whatever qualifies is
 * still verified when read. A local file that does not match, or fails verification, is deleted and reported through
 * `onRejected`, and the restore reads the durable copy instead.
 */
export function matchTaskLocalCopies(match: TaskLocalCopyMatch): TaskLocalCopySource {
  const { checkpointId, localState, storage, onRejected } = match;
  const plans = new Map<string, Plan>();
  for (const durable of match.durableState) {
    const range = KeyGroupRanges.format(durable.keyGroupRange);
    const local = localState?.find((candidate) => candidate.kind === durable.kind && KeyGroupRanges.equals(candidate.keyGroupRange, durable.keyGroupRange));
    const localFiles = local === undefined ? null : filesOf(local);
    const mismatch = local === undefined ? null : handleMismatch(checkpointId, durable, local);
    for (const [position, durableFile] of filesOf(durable)) {
      if (durableFile.kind !== 'file') continue;
      let plan: Plan;
      const localFile = localFiles?.get(position);
      if (localState === null) plan = { kind: 'none', reason: `no task-local copy of checkpoint ${checkpointId}` };
      else if (local === undefined) plan = { kind: 'none', reason: `the task-local copy of checkpoint ${checkpointId} holds no ${durable.kind} state for key groups ${range}` };
      else if (localFile === undefined || localFile.kind !== 'file') plan = { kind: 'none', reason: `the task-local copy of checkpoint ${checkpointId} holds no copy of this file` };
      else if (mismatch !== null) plan = { kind: 'reject', local: localFile, reason: mismatch };
      else if (localFile.size !== durableFile.size || localFile.checksum !== durableFile.checksum) {
        plan = { kind: 'reject', local: localFile, reason: `the task-local copy ${localFile.path} (${describeFile(localFile)}) does not match the durable file (${describeFile(durableFile)})` };
      } else plan = { kind: 'use', local: localFile };
      plans.set(durableFile.path, plan);
    }
  }

  const reject = async (durable: FileStateHandle, local: FileStateHandle, reason: string): Promise<TaskLocalRead> => {
    const deleted = await storage.deleteFile(local).then(() => true, () => false);
    onRejected({ checkpointId, durable, local, reason, deleted });
    return { used: false, reason, rejected: true };
  };

  return {
    async read(durable) {
      const plan = plans.get(durable.path) ?? { kind: 'none', reason: `checkpoint ${checkpointId}'s durable handles do not name this file` };
      if (plan.kind === 'none') return { used: false, reason: plan.reason, rejected: false };
      if (plan.kind === 'reject') return reject(durable, plan.local, plan.reason);
      try {
        return { used: true, bytes: await storage.readFile(plan.local), local: plan.local };
      } catch (error) {
        return reject(durable, plan.local, `the task-local copy ${plan.local.path} is unusable: ${errorMessage(error)}`);
      }
    },
  };
}
