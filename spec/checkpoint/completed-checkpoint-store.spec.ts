import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { CheckpointIdOrderError } from '../../src/checkpoint/checkpoint-id-order-error.js';
import { CheckpointRetention } from '../../src/checkpoint/checkpoint-properties.js';
import { CheckpointStoreShutDownError } from '../../src/checkpoint/checkpoint-store-shut-down-error.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import { DefaultCompletedCheckpointStore } from '../../src/recovery/default-completed-checkpoint-store.js';
import {
  StandaloneCompletedCheckpointStore,
  type CompletedCheckpointDiscardFailure,
} from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import { asJobId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import { encodeCheckpointMetadata } from '../../src/storage/checkpoint-metadata-codec.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { aCheckpoint, aSavepoint, A_JOB } from '../support/checkpoint-fixtures.js';
import { rejectionOf } from '../support/rejection-of.js';
import { FailingDiscarder } from '../support/failing-discarder.js';
import { RecordingDiscarder } from '../support/recording-discarder.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const idsOf = (checkpoints: readonly CompletedCheckpoint[]): number[] => checkpoints.map((checkpoint) => checkpoint.checkpointId);


describe('StandaloneCompletedCheckpointStore', () => {
  let discarder: RecordingDiscarder;
  beforeEach(() => {
    discarder = new RecordingDiscarder();
  });
  const aStore = (maxRetained: number) => new StandaloneCompletedCheckpointStore({ maxRetained, discarder });

  describe('maxRetained', () => {
    for (const invalid of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`is refused when it is ${invalid}, naming maxRetained`, () => {
        expect(() => aStore(invalid)).to.throw(InvalidOptionError, `CompletedCheckpointStoreOptions.maxRetained must be an integer of at least 1, got ${invalid}`);
      });
    }

    it('is reported as configured', () => {
      expect(aStore(3).maxRetained).to.equal(3);
    });
  });

  it('is empty at first', () => {
    const store = aStore(1);

    expect(store.getLatestCheckpoint()).to.equal(null);
    expect(store.getAllCheckpoints()).to.deep.equal([]);
    expect(store.getNumberOfRetainedCheckpoints()).to.equal(0);
  });

  it('retains up to maxRetained checkpoints without discarding any', async () => {
    const store = aStore(3);

    for (const id of [1, 2, 3]) expect(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(id))).to.deep.equal([]);

    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([1, 2, 3]);
    expect(store.getNumberOfRetainedCheckpoints()).to.equal(3);
    expect(discarder.calls).to.deep.equal([]);
  });

  it('subsumes and discards the oldest checkpoint first once maxRetained is exceeded', async () => {
    const store = aStore(2);
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));

    const subsumed = await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4));

    expect(idsOf(subsumed)).to.deep.equal([1]);
    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([3, 4]);
    expect(discarder.calls).to.deep.equal(['subsumed(1)', 'subsumed(2)']);
  });

  it('has the checkpoint with the highest id as its latest', async () => {
    const store = aStore(2);
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5));

    expect(store.getLatestCheckpoint()).to.equal(store.getAllCheckpoints()[1]);
    expect(store.getLatestCheckpoint()?.checkpointId).to.equal(5);
  });

  it('never subsumes a savepoint, and counts only checkpoints toward maxRetained', async () => {
    const store = aStore(1);
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    await store.addCheckpointAndSubsumeOldestOne(aSavepoint(2));
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4));

    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([2, 4]);
    expect(store.getNumberOfRetainedCheckpoints()).to.equal(1);
    expect(discarder.calls).to.deep.equal(['subsumed(1)', 'subsumed(3)']);
  });

  it('does not push out the latest checkpoint when a savepoint is added', async () => {
    const store = aStore(1);
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));

    expect(await store.addCheckpointAndSubsumeOldestOne(aSavepoint(2))).to.deep.equal([]);

    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([1, 2]);
    expect(store.getLatestCheckpoint()?.checkpointId).to.equal(2);
    expect(discarder.calls).to.deep.equal([]);
  });

  it('returns a snapshot of its checkpoints that later adds do not change', async () => {
    const store = aStore(1);
    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
    const before = store.getAllCheckpoints();

    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));

    expect(idsOf(before)).to.deep.equal([1]);
    expect(Object.isFrozen(before)).to.equal(true);
  });

  it('keeps every checkpoint and savepoint the model keeps, and discards the others oldest first, for any sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.array(fc.boolean(), { maxLength: 15 }), async (maxRetained, savepointFlags) => {
        const recording = new RecordingDiscarder();
        const store = new StandaloneCompletedCheckpointStore({ maxRetained, discarder: recording });
        const added = savepointFlags.map((isSavepoint, index) => (isSavepoint ? aSavepoint(index + 1) : aCheckpoint(index + 1)));
        for (const checkpoint of added) await store.addCheckpointAndSubsumeOldestOne(checkpoint);

        const checkpointIds = added.filter((c) => c.properties.type === 'checkpoint').map((c): number => c.checkpointId);
        const kept = new Set<number>([...checkpointIds.slice(-maxRetained), ...added.filter((c) => c.properties.type === 'savepoint').map((c) => c.checkpointId)]);
        expect(idsOf(store.getAllCheckpoints())).to.deep.equal(idsOf(added).filter((id) => kept.has(id)));
        expect(recording.calls).to.deep.equal(checkpointIds.slice(0, Math.max(0, checkpointIds.length - maxRetained)).map((id) => `subsumed(${id})`));
        expect(store.getNumberOfRetainedCheckpoints()).to.equal(Math.min(maxRetained, checkpointIds.length));
      }),
    );
  });

  describe('a discard that fails', () => {
    for (const fault of ['rejects', 'throws'] as const) {
      it(`does not fail the add when it ${fault}, and is reported with its checkpoint, cause and error`, async () => {
        const failures: CompletedCheckpointDiscardFailure[] = [];
        const failing = new FailingDiscarder(fault, [1]);
        const store = new StandaloneCompletedCheckpointStore({ maxRetained: 1, discarder: failing, onDiscardFailure: (failure) => failures.push(failure) });
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));

        const subsumed = await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));

        expect(idsOf(subsumed)).to.deep.equal([1]);
        expect(idsOf(store.getAllCheckpoints())).to.deep.equal([2]);
        expect(failures.map(({ checkpoint, cause, error }) => [checkpoint.checkpointId, cause, (error as Error).message])).to.deep.equal([
          [1, 'subsumed', 'storage unavailable while discarding checkpoint 1'],
        ]);
      });
    }

    it('does not stop the discards after it', async () => {
      const failing = new FailingDiscarder('rejects', [1]);
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 2, discarder: failing, onDiscardFailure: () => undefined });
      for (const id of [1, 2, 3, 4]) await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(id));

      expect(failing.calls).to.deep.equal(['subsumed(1)', 'subsumed(2)']);
    });

    it('does not fail the add even when the failure listener throws', async () => {
      const store = new StandaloneCompletedCheckpointStore({
        maxRetained: 1,
        discarder: new FailingDiscarder('rejects'),
        onDiscardFailure: () => {
          throw new Error('listener broken');
        },
      });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));

      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)))).to.deep.equal([1]);
    });
  });

  describe('a failed add', () => {
    it('refuses an id older than the latest, naming both ids, keeps the previous checkpoints and discards the new state', async () => {
      const store = aStore(3);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4));
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5));

      const error = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)));

      expect(error).to.be.instanceOf(CheckpointIdOrderError);
      expect(error.name).to.equal('CheckpointIdOrderError');
      expect(error.message).to.equal(
        'cannot add checkpoint 3 of job job-1: it is not newer than the latest retained checkpoint 5; checkpoint ids must only go up (is a stale coordinator still running, or did the id counter move backwards?)',
      );
      expect((error as CheckpointIdOrderError).rejectedCheckpointId).to.equal(3);
      expect((error as CheckpointIdOrderError).latestCheckpointId).to.equal(5);
      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([4, 5]);
      expect(discarder.calls, 'the refused checkpoint is the caller\'s to discard').to.deep.equal([]);
    });

    it('accepts a checkpoint older than a retained savepoint: savepoints stand beside the chain of checkpoints', async () => {
      const store = aStore(3);
      await store.addCheckpointAndSubsumeOldestOne(aSavepoint(7));

      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(6));

      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([6, 7]);
      expect(store.getLatestCheckpoint()?.checkpointId).to.equal(7);
    });

    it('accepts a savepoint that completes after a later checkpoint, in id order', async () => {
      const store = aStore(1);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5));

      expect(await store.addCheckpointAndSubsumeOldestOne(aSavepoint(4))).to.deep.equal([]);

      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([4, 5]);
      expect(store.getNumberOfRetainedCheckpoints()).to.equal(1);
    });

    it('refuses a repeated id without discarding, since that would destroy the retained checkpoint with the same id', async () => {
      const store = aStore(3);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5));

      const error = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(5, { stateSize: 1 })));

      expect(error).to.be.instanceOf(CheckpointIdOrderError);
      expect(error.message).to.match(/^cannot add checkpoint 5 of job job-1: it is not newer than the latest retained checkpoint 5; /);
      expect(store.getAllCheckpoints()[0]?.stateSize).to.equal(0);
      expect(discarder.calls).to.deep.equal([]);
    });

  });

  describe('shutdown', () => {
    const table: readonly [CheckpointRetention, JobStatus, 'discards' | 'keeps'][] = [
      [CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, JobStatus.FINISHED, 'discards'],
      [CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, JobStatus.CANCELED, 'discards'],
      [CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, JobStatus.FAILED, 'discards'],
      [CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION, JobStatus.SUSPENDED, 'keeps'],
      [CheckpointRetention.RETAIN_ON_CANCELLATION, JobStatus.FINISHED, 'discards'],
      [CheckpointRetention.RETAIN_ON_CANCELLATION, JobStatus.CANCELED, 'keeps'],
      [CheckpointRetention.RETAIN_ON_CANCELLATION, JobStatus.FAILED, 'keeps'],
      [CheckpointRetention.RETAIN_ON_CANCELLATION, JobStatus.SUSPENDED, 'keeps'],
      [CheckpointRetention.RETAIN_ON_FAILURE, JobStatus.FINISHED, 'discards'],
      [CheckpointRetention.RETAIN_ON_FAILURE, JobStatus.CANCELED, 'discards'],
      [CheckpointRetention.RETAIN_ON_FAILURE, JobStatus.FAILED, 'keeps'],
      [CheckpointRetention.RETAIN_ON_FAILURE, JobStatus.SUSPENDED, 'keeps'],
    ];
    for (const [retention, status, outcome] of table) {
      it(`${outcome} ${retention} checkpoints when the job is ${status}`, async () => {
        const store = aStore(2);
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1, { retention }));
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2, { retention }));

        await store.shutdown(status);

        expect(discarder.calls).to.deep.equal(outcome === 'discards' ? ['shutdown(1)', 'shutdown(2)'] : []);
      });
    }

    it('decides per checkpoint by its own retention', async () => {
      const store = aStore(2);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1, { retention: CheckpointRetention.RETAIN_ON_CANCELLATION }));
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2, { retention: CheckpointRetention.RETAIN_ON_FAILURE }));

      await store.shutdown(JobStatus.CANCELED);

      expect(discarder.calls).to.deep.equal(['shutdown(2)']);
    });

    it('never discards a savepoint, whatever its retention and the job status', async () => {
      const store = aStore(1);
      await store.addCheckpointAndSubsumeOldestOne(aSavepoint(1, { retention: CheckpointRetention.NEVER_RETAIN_AFTER_TERMINATION }));
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));

      await store.shutdown(JobStatus.FINISHED);

      expect(discarder.calls).to.deep.equal(['shutdown(2)']);
    });

    it('lets go of every checkpoint, and a second shutdown discards nothing more', async () => {
      const store = aStore(1);
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));

      await store.shutdown(JobStatus.SUSPENDED);
      await store.shutdown(JobStatus.FINISHED);

      expect(store.getAllCheckpoints()).to.deep.equal([]);
      expect(store.getLatestCheckpoint()).to.equal(null);
      expect(discarder.calls).to.deep.equal([]);
    });

    it('completes and reports a discard that fails', async () => {
      const failures: CompletedCheckpointDiscardFailure[] = [];
      const store = new StandaloneCompletedCheckpointStore({ maxRetained: 2, discarder: new FailingDiscarder('rejects', [1]), onDiscardFailure: (f) => failures.push(f) });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));

      await store.shutdown(JobStatus.FINISHED);

      expect(failures.map((f) => `${f.cause}(${f.checkpoint.checkpointId})`)).to.deep.equal(['shutdown(1)']);
    });

    it('makes a later add fail, leaving the rejected checkpoint to the caller', async () => {
      const store = aStore(1);
      await store.shutdown(JobStatus.SUSPENDED);

      const error = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1)));

      expect(error).to.be.instanceOf(CheckpointStoreShutDownError);
      expect(error.name).to.equal('CheckpointStoreShutDownError');
      expect(error.message).to.equal('cannot add checkpoint 1: the completed checkpoint store was shut down with job status SUSPENDED');
      expect(discarder.calls).to.deep.equal([]);
    });
  });
});

describe('DefaultCompletedCheckpointStore.recover', () => {
  let storage: InMemoryCheckpointStorage;
  let discarder: RecordingDiscarder;
  beforeEach(() => {
    storage = new InMemoryCheckpointStorage();
    discarder = new RecordingDiscarder();
  });

  async function stored(checkpoint: CompletedCheckpoint): Promise<CompletedCheckpoint> {
    return { ...checkpoint, externalPointer: await storage.writeMetadata(checkpoint) };
  }

  it('starts empty when the job has no metadata', async () => {
    const store = await DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 2, discarder });

    expect(store.getAllCheckpoints()).to.deep.equal([]);
    expect(store.maxRetained).to.equal(2);
  });

  it('retains the newest checkpoints and every savepoint, and subsumes the older checkpoints oldest first', async () => {
    const written = [];
    for (const checkpoint of [aCheckpoint(1), aSavepoint(2), aCheckpoint(3), aCheckpoint(4), aCheckpoint(5)]) written.push(await stored(checkpoint));
    await storage.writeMetadata(aCheckpoint(9, { jobId: asJobId('another-job') }));

    const store = await DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 2, discarder });

    expect(store.getAllCheckpoints()).to.deep.equal([written[1], written[3], written[4]]);
    expect(store.getNumberOfRetainedCheckpoints()).to.equal(2);
    expect(store.getLatestCheckpoint()?.checkpointId).to.equal(5);
    expect(discarder.calls).to.deep.equal(['subsumed(1)', 'subsumed(3)']);
  });

  it('shows every recovered checkpoint to onRecovered before discarding any', async () => {
    for (const id of [1, 2, 3]) await stored(aCheckpoint(id));
    const seen: string[] = [];

    await DefaultCompletedCheckpointStore.recover({
      jobId: A_JOB,
      storage,
      maxRetained: 1,
      discarder: { discard: async (checkpoint, cause) => void seen.push(`${cause}(${checkpoint.checkpointId})`) },
      onRecovered: (checkpoints) => seen.push(`recovered(${idsOf(checkpoints).join(',')})`),
    });

    expect(seen).to.deep.equal(['recovered(1,2,3)', 'subsumed(1)', 'subsumed(2)']);
  });

  it('behaves like the standalone store after recovery', async () => {
    for (const id of [1, 2]) await stored(aCheckpoint(id));
    const store = await DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 2, discarder });

    await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
    const error = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));

    expect(idsOf(store.getAllCheckpoints())).to.deep.equal([2, 3]);
    expect(error).to.be.instanceOf(CheckpointIdOrderError);
    expect(discarder.calls).to.deep.equal(['subsumed(1)']);
  });

  it('returns deeply frozen checkpoints', async () => {
    await stored(aCheckpoint(1));

    const [recovered] = (await DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder })).getAllCheckpoints();

    expect(Object.isFrozen(recovered)).to.equal(true);
    expect(Object.isFrozen(recovered?.properties)).to.equal(true);
  });

  it('refuses an invalid maxRetained before reading storage', async () => {
    const reads: string[] = [];
    const watched = Object.assign(Object.create(storage) as InMemoryCheckpointStorage, {
      listMetadata: async () => {
        reads.push('listMetadata');
        return [];
      },
    });

    const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage: watched, maxRetained: 0, discarder }));

    expect(error).to.be.instanceOf(InvalidOptionError);
    expect(error.message).to.equal('CompletedCheckpointStoreOptions.maxRetained must be an integer of at least 1, got 0');
    expect(reads).to.deep.equal([]);
  });

  it('fails on unparsable metadata, naming the file, and discards nothing', async () => {
    for (const id of [1, 2, 3]) await stored(aCheckpoint(id));
    storage.corrupt('job-1/chk-2/_metadata', new TextEncoder().encode('{"jobId":"job-1","checkp'));

    const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder }));

    expect(error).to.be.instanceOf(CorruptStateError);
    expect((error as CorruptStateError).path).to.equal('job-1/chk-2/_metadata');
    expect(discarder.calls).to.deep.equal([]);
  });

  it('fails on metadata with a malformed record, naming the file and the field', async () => {
    await stored(aCheckpoint(1));
    storage.corrupt('job-1/chk-1/_metadata', encodeCheckpointMetadata({ ...aCheckpoint(1), stateSize: -4 }));

    const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder }));

    expect(error).to.be.instanceOf(CorruptStateError);
    expect(error.message).to.equal(
      'job-1/chk-1/_metadata: metadata field stateSize must be a non-negative integer, found -4; refusing to use it (restore from an older checkpoint or remove the file)',
    );
  });

  it('fails on metadata that records another job, naming the file', async () => {
    await stored(aCheckpoint(1));
    storage.corrupt('job-1/chk-1/_metadata', encodeCheckpointMetadata(aCheckpoint(1, { jobId: asJobId('job-2') })));

    const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder }));

    expect(error).to.be.instanceOf(CorruptStateError);
    expect(error.message).to.match(/^job-1\/chk-1\/_metadata: the record belongs to job 'job-2', not to job 'job-1' its directory names; /);
  });

  it('fails on metadata that records another checkpoint id, naming the file', async () => {
    await stored(aCheckpoint(1));
    storage.corrupt('job-1/chk-1/_metadata', encodeCheckpointMetadata(aCheckpoint(7)));

    const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder }));

    expect(error).to.be.instanceOf(CorruptStateError);
    expect(error.message).to.match(/^job-1\/chk-1\/_metadata: the record is checkpoint 7, not checkpoint 1 its directory names; /);
  });

  describe('from the filesystem', () => {
    let directory: string;
    beforeEach(async () => {
      directory = await createTemporaryDirectory();
    });
    afterEach(async () => {
      await removeTemporaryDirectory(directory);
    });

    it('restores what a previous process wrote, through the bytes on disk', async () => {
      const before = new FileSystemCheckpointStorage(directory);
      const pointers = [];
      for (const checkpoint of [aCheckpoint(1), aCheckpoint(2), aSavepoint(3)]) pointers.push(await before.writeMetadata(checkpoint));

      const store = await DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage: new FileSystemCheckpointStorage(directory), maxRetained: 1, discarder });

      expect(store.getAllCheckpoints()).to.deep.equal([
        { ...aCheckpoint(2), externalPointer: pointers[1] },
        { ...aSavepoint(3), externalPointer: pointers[2] },
      ]);
      expect(discarder.calls).to.deep.equal(['subsumed(1)']);
    });

    it('fails on a truncated metadata file, naming it, and discards nothing', async () => {
      const storage = new FileSystemCheckpointStorage(directory);
      await storage.writeMetadata(aCheckpoint(1));
      await storage.writeMetadata(aCheckpoint(2));
      await truncate(join(directory, 'job-1/chk-1/_metadata'), 20);

      const error = await rejectionOf(DefaultCompletedCheckpointStore.recover({ jobId: A_JOB, storage, maxRetained: 1, discarder }));

      expect(error).to.be.instanceOf(CorruptStateError);
      expect(error.message).to.match(/^job-1\/chk-1\/_metadata: truncated checkpoint metadata: 20 bytes, /);
      expect(discarder.calls).to.deep.equal([]);
    });
  });
});
