import { expect } from 'chai';
import { CheckpointIDCounterShutdownError } from '../../src/checkpoint/checkpoint-id-counter.js';
import { StandaloneCheckpointIDCounter } from '../../src/checkpoint/standalone-checkpoint-id-counter.js';
import { JobStatus } from '../../src/core/job-status.js';

describe('StandaloneCheckpointIDCounter', () => {
  it('hands out 1 first, then strictly increasing ids', async () => {
    const counter = new StandaloneCheckpointIDCounter();
    expect(await counter.get()).to.equal(1);
    expect([await counter.getAndIncrement(), await counter.getAndIncrement(), await counter.getAndIncrement()]).to.deep.equal([1, 2, 3]);
    expect(await counter.get()).to.equal(4);
  });

  it('moves forward with setCount but never backwards, so no id is reused', async () => {
    const counter = new StandaloneCheckpointIDCounter();
    await counter.getAndIncrement();
    await counter.setCount(10);
    expect(await counter.getAndIncrement()).to.equal(10);
    await counter.setCount(11);
    try {
      await counter.setCount(5);
      expect.fail('setCount(5) after 10 must be refused');
    } catch (error) {
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.equal('CheckpointIDCounter.setCount(5) would move the counter backwards from 11; checkpoint ids only go up');
    }
    expect(await counter.getAndIncrement()).to.equal(11);
  });

  it('refuses a count that is not a positive integer', async () => {
    const counter = new StandaloneCheckpointIDCounter();
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      try {
        await counter.setCount(bad);
        expect.fail(`setCount(${bad}) must be refused`);
      } catch (error) {
        expect((error as Error).message).to.equal(`CheckpointIDCounter.setCount needs a positive integer, got ${bad}`);
      }
    }
  });

  it('hands out no more ids after shutdown, saying why', async () => {
    const counter = new StandaloneCheckpointIDCounter();
    await counter.shutdown(JobStatus.CANCELED);
    try {
      await counter.getAndIncrement();
      expect.fail('a shut down counter must refuse');
    } catch (error) {
      expect(error).to.be.instanceOf(CheckpointIDCounterShutdownError);
      expect((error as Error).message).to.equal('the checkpoint id counter was shut down (job CANCELED); no more ids can be handed out');
    }
  });
});
