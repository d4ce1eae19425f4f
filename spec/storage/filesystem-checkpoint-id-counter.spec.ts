import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { CheckpointIDCounterShutdownError } from '../../src/checkpoint/checkpoint-id-counter.js';
import { FileSystemCheckpointIDCounter } from '../../src/storage/filesystem-checkpoint-id-counter.js';
import { JobStatus } from '../../src/core/job-status.js';
import { CorruptStateError } from '../../src/storage/corrupt-state-error.js';
import { FileSystemCheckpointStorage } from '../../src/storage/filesystem-checkpoint-storage.js';
import { prepareCheckpointing } from '../../src/recovery/prepare-checkpointing.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';
import { A_JOB } from '../support/checkpoint-fixtures.js';
import { rejectionOf } from '../support/rejection-of.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

describe('FileSystemCheckpointIDCounter', () => {
  let directory: string;
  beforeEach(async () => { directory = await createTemporaryDirectory(); });
  afterEach(async () => { await removeTemporaryDirectory(directory); });

  it('starts at 1 and never hands out an id twice, across reopening', async () => {
    const first = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    expect([await first.getAndIncrement(), await first.getAndIncrement(), await first.getAndIncrement()]).to.deep.equal([1, 2, 3]);
    const reopened = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    expect(await reopened.getAndIncrement()).to.equal(4);
  });

  it('keeps setCount forward moves durably and refuses to go backwards', async () => {
    const counter = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    await counter.setCount(20);
    expect((await rejectionOf(counter.setCount(7))).message).to.equal('CheckpointIDCounter.setCount(7) would move the counter backwards from 20; checkpoint ids only go up');
    expect(await (await FileSystemCheckpointIDCounter.open(directory, A_JOB)).get()).to.equal(20);
  });

  it('refuses a damaged, truncated or unknown-version counter file, naming it', async () => {
    const counter = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    await counter.getAndIncrement();
    const path = join(directory, A_JOB, 'checkpoint-id-counter');
    const good = await readFile(path, 'utf8');
    for (const [bytes, problem] of [
      [good.replace('"next":2', '"next":1'), 'the checkpoint id counter failed its checksum'],
      [good.slice(0, 10), 'the checkpoint id counter file is not valid JSON (truncated?)'],
      [good.replace('"formatVersion":1', '"formatVersion":9'), 'unsupported checkpoint id counter format version 9 (supported: 1)'],
    ] as const) {
      await writeFile(path, bytes);
      const error = await rejectionOf(FileSystemCheckpointIDCounter.open(directory, A_JOB));
      expect(error).to.be.instanceOf(CorruptStateError);
      expect(error.message).to.equal(`${path}: ${problem}; refusing to use it (restore from an older checkpoint or remove the file)`);
    }
  });

  it('hands out no ids after shutdown', async () => {
    const counter = await FileSystemCheckpointIDCounter.open(directory, A_JOB);
    await counter.shutdown(JobStatus.SUSPENDED);
    expect(await rejectionOf(counter.getAndIncrement())).to.be.instanceOf(CheckpointIDCounterShutdownError);
  });

  it('makes a restarted coordinator skip the ids of checkpoints that were in flight when the previous one stopped', async () => {
    const storage = new FileSystemCheckpointStorage(directory);
    const before = new CoordinatorHarness();
    try {
      await before.spawn({ jobId: A_JOB, startScheduler: false, ...(await prepareCheckpointing({ jobId: A_JOB, storage })) });
      await before.triggerNow();
      before.tasks.answer('sink', 'stay-silent');
      void before.triggerNow();
      await before.settle();
      await before.shutdown(JobStatus.SUSPENDED);
    } finally {
      before.dispose();
    }
    const after = new CoordinatorHarness();
    try {
      await after.spawn({ jobId: A_JOB, startScheduler: false, ...(await prepareCheckpointing({ jobId: A_JOB, storage })) });
      expect(after.tasks.of('source')).to.deep.equal(['Restore(1)']);
      const outcome = await after.triggerNow();
      expect(outcome.status === 'completed' && outcome.checkpoint.checkpointId).to.equal(3);
    } finally {
      after.dispose();
    }
  });
});
