import { expect } from 'chai';
import { start, stop, type Ref } from 'nact';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ManualClock } from '../../src/testing/index.js';
import { ask, type TypedRef } from '../../src/actor/typed-ref.js';
import { BlobStore } from '../../src/blob/blob-store.js';
import { loadOperatorKind, putOperatorBundle } from '../../src/blob/operator-bundle.js';
import { OperatorKindNotFoundError } from '../../src/blob/operator-kind-not-found-error.js';
import { spawnCheckpointCoordinator } from '../../src/coordinator/spawn-checkpoint-coordinator.js';
import type { CheckpointedOperator, OperatorFactory } from '../../src/task/checkpointed-operator.js';
import { deliver, operatorTask } from '../../src/task/spawn-task.js';
import type { TaskMessage } from '../../src/task/task-message.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { blobHaModes, type BlobHaUnderTest } from './support/blob-modes.js';

/** An operator bundle as a job's author ships it: self-contained, exporting operator factories under their kind names. */
const BUNDLE = `
import { createHash } from 'node:crypto';

export function letterCounter() {
  let letters = 0;
  let digest = '';
  return {
    snapshotState: () => ({ letters, digest }),
    restoreState: (state) => { letters = state?.letters ?? 0; digest = state?.digest ?? ''; },
    onMessage: (word) => {
      letters += word.length;
      digest = createHash('sha256').update(digest + word).digest('hex').slice(0, 8);
    },
  };
}

export const bundleVersion = 3;
`;

type LetterState = { readonly letters: number; readonly digest: string };

for (const mode of blobHaModes) {
  describe(`operator bundles (${mode.name} HA copy)`, () => {
    let directory: string;
    let ha: BlobHaUnderTest;
    let system: Ref<unknown> | null;
    beforeEach(async () => {
      directory = await createTemporaryDirectory();
      ha = await mode.create(directory);
      system = null;
    });
    afterEach(async () => {
      if (system !== null) stop(system);
      await ha.dispose();
      await removeTemporaryDirectory(directory);
    });

    const jobManager = async (name: string): Promise<BlobStore> => BlobStore.open({ localDirectory: join(directory, name), haCopy: await ha.open() });

    it('a job recovered by a standby finds the operator bundle the failed job manager put, and runs it', async () => {
      const leader = await jobManager('jm-a');
      const key = await putOperatorBundle(leader, 'words', BUNDLE);
      await rm(leader.localDirectory, { recursive: true });

      const standby = await jobManager('jm-b');
      const factory = await loadOperatorKind<OperatorFactory<LetterState, string>>(standby, 'words', key, 'letterCounter');
      system = start();
      const coordinator = spawnCheckpointCoordinator(system, {
        jobId: 'words', interval: 1_000, startScheduler: false, clock: new ManualClock(),
        tasks: [operatorTask(system, 'letters-0', factory)],
      });
      const [task] = await ask(coordinator, { type: 'GetTasks' });
      for (const word of ['checkpoint', 'barrier']) deliver(task?.ref as TypedRef<TaskMessage<string>>, word);
      const outcome = await ask(coordinator, { type: 'TriggerCheckpointNow' });
      if (outcome.status !== 'completed') throw new Error(`the checkpoint failed: ${outcome.message}`);
      const handle = outcome.checkpoint.taskStates['letters-0' as never]?.operatorState;
      if (handle?.kind !== 'inline') throw new Error('expected inline operator state');
      const state = handle.value as unknown as LetterState;
      expect(state.letters).to.equal('checkpointbarrier'.length);
      expect(state.digest).to.match(/^[0-9a-f]{8}$/);
    });

    it('says which operator kinds a bundle exports when the requested one is missing', async () => {
      const leader = await jobManager('jm-a');
      const key = await putOperatorBundle(leader, 'words', BUNDLE);
      const error = await rejectionOf(loadOperatorKind(await jobManager('jm-b'), 'words', key, 'wordSplitter'));
      expect(error).to.be.instanceOf(OperatorKindNotFoundError);
      expect(error.message).to.equal(`operator bundle ${key} of job words exports no operator kind 'wordSplitter' (it exports 'letterCounter'); export the operator factory under its kind name`);
    });

    it('gives each attempt a fresh operator from the same factory', async () => {
      const store = await jobManager('jm-a');
      const key = await putOperatorBundle(store, 'words', BUNDLE);
      const factory = await loadOperatorKind<() => CheckpointedOperator<LetterState, string>>(store, 'words', key, 'letterCounter');
      const first = factory();
      await first.onMessage?.('abc');
      expect(await first.snapshotState(1 as never)).to.deep.include({ letters: 3 });
      expect(await factory().snapshotState(1 as never)).to.deep.equal({ letters: 0, digest: '' });
    });
  });
}
