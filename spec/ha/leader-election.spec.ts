import { expect } from 'chai';
import type { LeaderElection } from '../../src/ha/leader-election.js';
import { StaleLeaderError } from '../../src/ha/stale-leader-error.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { rejectionOf } from '../support/rejection-of.js';
import { advance, haModes, LEASE, useMode, type SpecInstance } from './support/ha-modes.js';
import { RecordingContender } from './support/recording-contender.js';

const SCOPE = 'cluster';

for (const mode of haModes()) {
  describe(`LeaderElection (${mode.mode} mode)`, () => {
    useMode(mode);

    async function contender(instance: SpecInstance): Promise<{ election: LeaderElection; contender: RecordingContender }> {
      const election = instance.services.createLeaderElection(SCOPE);
      const recording = new RecordingContender();
      await election.start(recording);
      return { election, contender: recording };
    }

    it('grants the first contender generation 1 and keeps the second one standing by', async () => {
      const a = await contender(await mode.instance());
      const b = await contender(await mode.instance());
      expect(a.contender.calls).to.deep.equal(['grant(1)']);
      expect(a.election.currentSession()).to.deep.include({ scope: SCOPE, generation: 1, contenderId: a.election.contenderId });
      expect(b.contender.calls).to.deep.equal([]);
      expect(b.election.currentSession()).to.equal(null);
    });

    it('keeps a leader that renews, however long the standby watches', async () => {
      const first = await mode.instance();
      const second = await mode.instance();
      const a = await contender(first);
      const b = await contender(second);
      for (let step = 0; step < 10; step++) {
        await advance(first, LEASE.renewInterval, a.election);
        await advance(second, LEASE.renewInterval, b.election);
      }
      expect(a.contender.calls).to.deep.equal(['grant(1)']);
      expect(b.contender.calls).to.deep.equal([]);
    });

    it('lets a standby take over, with the next generation, once the leader stopped renewing for a whole lease by the standby\'s clock', async () => {
      const first = await mode.instance();
      const second = await mode.instance();
      const a = await contender(first);
      const b = await contender(second);
      // The leader's clock stands still: it is paused (as by SIGSTOP) and renews nothing.
      await advance(second, LEASE.leaseDuration - LEASE.renewInterval, b.election);
      expect(b.contender.calls, 'not before a whole lease').to.deep.equal([]);
      await advance(second, LEASE.renewInterval, b.election);
      expect(b.contender.calls).to.deep.equal(['grant(2)']);
      // The old leader still believes it leads until it looks: its next renewal finds generation 2.
      expect(a.election.currentSession()?.generation).to.equal(1);
      await advance(first, LEASE.renewInterval, a.election);
      expect(a.contender.calls).to.deep.equal(['grant(1)', 'revoke(1, superseded)']);
      expect(a.election.currentSession()).to.equal(null);
    });

    it('rejects every write of the superseded leader with StaleLeaderError naming the current generation, and loses nothing it wrote', async () => {
      const first = await mode.instance();
      const second = await mode.instance();
      const a = await contender(first);
      const b = await contender(second);
      const oldSession = a.contender.session!;
      const oldCounter = first.services.checkpointRecovery('job-1').createCheckpointIDCounter(oldSession);
      expect(await oldCounter.getAndIncrement()).to.equal(1);
      await first.services.jobGraphStore.putJobGraph(oldSession, 'job-1', { tasks: ['a'] });
      await advance(second, LEASE.leaseDuration, b.election);
      await advance(second, LEASE.renewInterval, b.election);
      expect(b.contender.calls).to.deep.equal(['grant(2)']);

      const rejections = [
        await rejectionOf(oldCounter.getAndIncrement()),
        await rejectionOf(oldCounter.setCount(50)),
        await rejectionOf(first.services.jobGraphStore.putJobGraph(oldSession, 'job-1', { tasks: [] })),
        await rejectionOf(first.services.jobGraphStore.removeJobGraph(oldSession, 'job-1')),
      ];
      for (const rejection of rejections) {
        expect(rejection).to.be.instanceOf(StaleLeaderError);
        expect(rejection).to.deep.include({ scope: SCOPE, generation: 1, currentGeneration: 2 });
        expect(rejection.message).to.match(/was rejected: leader session generation 1 of scope 'cluster' is no longer current \(the current generation is 2\)/);
      }
      const newCounter = second.services.checkpointRecovery('job-1').createCheckpointIDCounter(b.contender.session!);
      expect(await newCounter.getAndIncrement()).to.equal(2);
      expect((await second.services.jobGraphStore.recoverJobGraph('job-1'))?.graph).to.deep.equal({ tasks: ['a'] });
    });

    it('hands the lease over at once when the leader stops (releases) it, revoking the leader with STOPPED', async () => {
      const second = await mode.instance();
      const a = await contender(await mode.instance());
      const b = await contender(second);
      await a.election.stop();
      expect(a.contender.calls).to.deep.equal(['grant(1)', 'revoke(1, stopped)']);
      await advance(second, LEASE.renewInterval, b.election);
      expect(b.contender.calls).to.deep.equal(['grant(2)']);
    });

    it('takes over at the next check, without waiting for the lease, when the leader\'s process is dead', async () => {
      const first = await mode.instance();
      const second = await mode.instance();
      await contender(first);
      const b = await contender(second);
      await first.kill();
      await advance(second, LEASE.renewInterval, b.election);
      expect(b.contender.calls).to.deep.equal(['grant(2)']);
    });

    it('grants leadership again, with a new generation, to a contender after the one it replaced is gone', async () => {
      const first = await mode.instance();
      const a = await contender(first);
      await a.election.stop();
      const again = await contender(first);
      expect(again.contender.calls).to.deep.equal(['grant(2)']);
    });

    it('refuses a scope that cannot name a lease', async () => {
      const instance = await mode.instance();
      expect(() => instance.services.createLeaderElection('../etc')).to.throw(InvalidOptionError, "scope must be 1 to 200 letters, digits, '.', '_' or '-'");
    });
  });
}
