import { asCheckpointId, asTaskId } from '../../../src/core/ids.js';
import type { FileStateHandle, TaskStateSnapshot } from '../../../src/state/state-handles.js';
import { stateSizeOf } from '../../../src/state/state-size.js';
import { FileSystemCheckpointStorage } from '../../../src/storage/filesystem-checkpoint-storage.js';
import { aCheckpoint, aSavepoint, A_JOB } from '../../support/checkpoint-fixtures.js';

/** The files and handles of {@link aJobDirectory}, for assertions. */
export interface JobDirectoryFixture {
  readonly storage: FileSystemCheckpointStorage;
  /** `job-1/shared/sst-1` (5 bytes): map-1's operator state in both checkpoints. */
  readonly sharedBoth: FileStateHandle;
  /** `job-1/shared/sst-2` (10 bytes): sum-0's incremental shared file in checkpoint 2. */
  readonly sharedSecond: FileStateHandle;
  /** `job-1/chk-2/private-1` (3 bytes): sum-0's private file in checkpoint 2. */
  readonly privateSecond: FileStateHandle;
  /** checkpoint 2's task states. */
  readonly secondTaskStates: Readonly<Record<string, TaskStateSnapshot>>;
}

const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

/**
 * Job `job-1` under `directory`, written by the filesystem storage: checkpoint 1 (task map-1, state in a shared file)
 * and savepoint 2 (map-1 with the same shared file; sum-0 with incremental keyed state: one shared file, one private
 * file, inline meta bytes).
 */
export async function aJobDirectory(directory: string): Promise<JobDirectoryFixture> {
  const storage = new FileSystemCheckpointStorage(directory);
  const sharedBoth = await storage.writeSharedFile(A_JOB, 'sst-1', bytesOf('state'));
  const sharedSecond = await storage.writeSharedFile(A_JOB, 'sst-2', bytesOf('0123456789'));
  const privateSecond = await storage.writeExclusiveFile(A_JOB, asCheckpointId(2), 'private-1', bytesOf('abc'));
  const first: Record<string, TaskStateSnapshot> = { [asTaskId('map-1')]: { operatorState: sharedBoth, keyedState: [] } };
  const secondTaskStates: Record<string, TaskStateSnapshot> = {
    [asTaskId('map-1')]: { operatorState: sharedBoth, keyedState: [] },
    [asTaskId('sum-0')]: {
      operatorState: { kind: 'inline', value: 42 },
      keyedState: [
        {
          kind: 'incremental',
          backendId: 'backend-a',
          keyGroupRange: { start: 0, end: 7 },
          checkpointId: asCheckpointId(2),
          sharedState: [{ handleId: 'sst-2', handle: sharedSecond }],
          privateState: [{ handleId: 'local-7', handle: privateSecond }],
          metaState: { kind: 'bytes', handleName: 'meta', data: Buffer.from('meta!').toString('base64'), size: 5 },
        },
      ],
    },
  };
  await storage.writeMetadata(aCheckpoint(1, { taskStates: first, stateSize: totalSize(first) }));
  await storage.writeMetadata(aSavepoint(2, { taskStates: secondTaskStates, stateSize: totalSize(secondTaskStates) }));
  return { storage, sharedBoth, sharedSecond, privateSecond, secondTaskStates };
}

function totalSize(taskStates: Readonly<Record<string, TaskStateSnapshot>>): number {
  return Object.values(taskStates).reduce((sum, snapshot) => sum + stateSizeOf(snapshot), 0);
}
