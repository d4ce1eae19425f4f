import { expect } from 'chai';
import { CheckpointIDCounterShutdownError } from '../../src/checkpoint/checkpoint-id-counter.js';
import { JobStatus } from '../../src/core/job-status.js';
import { StaleLeaderError } from '../../src/ha/stale-leader-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { haModes, useMode } from './support/ha-modes.js';
import { sessionOf, startContender, takeOverFromPausedLeader } from './support/leader.js';

for (const mode of haModes()) {
  describe(`FencedCheckpointIDCounter (${mode.mode} mode)`, () => {
    useMode(mode);

    async function aLeadersCounter(jobId = 'job-1') {
      const leader = await startContender(await mode.instance());
      return { leader, counter: leader.instance.services.checkpointRecovery(jobId).createCheckpointIDCounter(sessionOf(leader)) };
    }

    it('starts at 1 and hands out strictly increasing ids, which get() previews', async () => {
      const { counter } = await aLeadersCounter();
      expect(await counter.get()).to.equal(1);
      expect([await counter.getAndIncrement(), await counter.getAndIncrement(), await counter.getAndIncrement()]).to.deep.equal([1, 2, 3]);
      expect(await counter.get()).to.equal(4);
    });

    it('never hands out an id twice under concurrent increments from several instances', async () => {
      const { leader } = await aLeadersCounter();
      const session = sessionOf(leader);
      const others = [leader.instance, await mode.instance(), await mode.instance()];
      const counters = others.map((instance) => instance.services.checkpointRecovery('job-1').createCheckpointIDCounter(session));
      const ids = await Promise.all(counters.flatMap((counter) => Array.from({ length: 15 }, () => counter.getAndIncrement())));
      expect([...ids].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 45 }, (_, index) => index + 1));
    });

    it('keeps counters of different jobs apart', async () => {
      const { leader, counter } = await aLeadersCounter('job-a');
      const other = leader.instance.services.checkpointRecovery('job-b').createCheckpointIDCounter(sessionOf(leader));
      await counter.getAndIncrement();
      await counter.getAndIncrement();
      expect(await other.getAndIncrement()).to.equal(1);
    });

    it('moves forward with setCount and refuses to move backwards, keeping the count', async () => {
      const { counter } = await aLeadersCounter();
      await counter.setCount(20);
      expect(await counter.getAndIncrement()).to.equal(20);
      const backwards = await rejectionOf(counter.setCount(7));
      expect(backwards).to.be.instanceOf(RangeError);
      expect(backwards.message).to.equal('CheckpointIDCounter.setCount(7) would move the counter backwards from 21; checkpoint ids only go up');
      const invalid = await rejectionOf(counter.setCount(0));
      expect(invalid.message).to.equal('CheckpointIDCounter.setCount needs a positive integer, got 0');
      expect(await counter.get()).to.equal(21);
    });

    it('keeps the count for the next leader when shut down SUSPENDED', async () => {
      const { leader, counter } = await aLeadersCounter();
      const standby = await startContender(await mode.instance());
      await counter.getAndIncrement();
      await counter.getAndIncrement();
      await counter.shutdown(JobStatus.SUSPENDED);
      await leader.election.stop();
      await takeOverFromPausedLeader(standby);
      const next = standby.instance.services.checkpointRecovery('job-1').createCheckpointIDCounter(sessionOf(standby));
      expect(await next.getAndIncrement()).to.equal(3);
    });

    it('removes the count when the job ends FINISHED', async () => {
      const { leader, counter } = await aLeadersCounter();
      await counter.getAndIncrement();
      await counter.shutdown(JobStatus.FINISHED);
      const again = leader.instance.services.checkpointRecovery('job-1').createCheckpointIDCounter(sessionOf(leader));
      expect(await again.get()).to.equal(1);
    });

    it('hands out no ids after shutdown', async () => {
      const { counter } = await aLeadersCounter();
      await counter.shutdown(JobStatus.SUSPENDED);
      const error = await rejectionOf(counter.getAndIncrement());
      expect(error).to.be.instanceOf(CheckpointIDCounterShutdownError);
    });

    it('refuses a terminal removal by a stale leader, keeping the count', async () => {
      const { leader, counter } = await aLeadersCounter();
      await counter.getAndIncrement();
      const standby = await startContender(await mode.instance());
      const session = await takeOverFromPausedLeader(standby);
      expect(await rejectionOf(counter.shutdown(JobStatus.FINISHED))).to.be.instanceOf(StaleLeaderError);
      expect(await standby.instance.services.checkpointRecovery('job-1').createCheckpointIDCounter(session).get()).to.equal(2);
      void leader;
    });
  });
}
