import { expect } from 'chai';
import { ManualClock } from '../../src/testing/index.js';
import { LeaderElection } from '../../src/ha/leader-election.js';
import { InMemoryHighAvailabilityBackend } from '../../src/ha/memory/in-memory-high-availability-backend.js';
import { InMemoryHighAvailabilityData } from '../../src/ha/memory/in-memory-high-availability-data.js';
import { LEASE } from './support/ha-modes.js';
import { RecordingContender } from './support/recording-contender.js';
import { UnreachableLeases } from './support/unreachable-leases.js';

describe('LeaderElection when its storage is unreachable', () => {
  let clock: ManualClock;
  let leases: UnreachableLeases;
  let election: LeaderElection;
  let contender: RecordingContender;

  beforeEach(async () => {
    clock = new ManualClock();
    leases = new UnreachableLeases(new InMemoryHighAvailabilityBackend(new InMemoryHighAvailabilityData(), 'instance-1').leases);
    election = new LeaderElection('cluster', leases, { clock, ...LEASE });
    contender = new RecordingContender();
    await election.start(contender);
  });

  async function step(ms: number): Promise<void> {
    clock.advance(ms);
    await election.settled();
  }

  it('keeps leading through failed renewals shorter than the lease, reporting each failure', async () => {
    leases.unreachable = true;
    await step(LEASE.renewInterval);
    await step(LEASE.renewInterval);
    expect(contender.calls).to.deep.equal(['grant(1)']);
    expect(contender.errors.map((error) => (error as Error).message)).to.deep.equal(['connect ECONNREFUSED 127.0.0.1:5432', 'connect ECONNREFUSED 127.0.0.1:5432']);
    leases.unreachable = false;
    await step(LEASE.renewInterval);
    expect(election.currentSession()?.generation).to.equal(1);
  });

  it('steps down once it could not renew for a whole lease, and leads again with a new generation when storage is back', async () => {
    leases.unreachable = true;
    for (let elapsed = 0; elapsed < LEASE.leaseDuration; elapsed += LEASE.renewInterval) await step(LEASE.renewInterval);
    expect(contender.calls).to.deep.equal(['grant(1)', 'revoke(1, renewal-failed)']);
    expect(election.currentSession()).to.equal(null);
    leases.unreachable = false;
    await step(LEASE.renewInterval);
    expect(contender.calls).to.deep.equal(['grant(1)', 'revoke(1, renewal-failed)', 'grant(2)']);
  });

  it('steps down at the end of its lease while a renewal still hangs', async () => {
    await step(LEASE.renewInterval);
    leases.hanging = true;
    const hung = leases.whenACallHangs();
    clock.advance(LEASE.renewInterval);
    await hung;
    clock.advance(LEASE.leaseDuration - LEASE.renewInterval);
    expect(contender.calls).to.deep.equal(['grant(1)', 'revoke(1, renewal-failed)']);
    leases.hanging = false;
    await election.settled();
    expect(contender.calls, 'a renewal that succeeds late does not grant the old session again').to.deep.equal(['grant(1)', 'revoke(1, renewal-failed)']);
  });

  it('is revoked with STOPPED even when it cannot release its lease', async () => {
    leases.unreachable = true;
    await election.stop();
    expect(contender.calls).to.deep.equal(['grant(1)', 'revoke(1, stopped)']);
  });
});

describe('LeaderElection callbacks', () => {
  it('reports a grant callback that rejects instead of losing the error', async () => {
    const backend = new InMemoryHighAvailabilityBackend(new InMemoryHighAvailabilityData(), 'instance-1');
    const election = new LeaderElection('cluster', backend.leases, { clock: new ManualClock(), ...LEASE });
    const errors: unknown[] = [];
    await election.start({
      grantLeadership: async () => { throw new Error('recovering the job failed'); },
      revokeLeadership: () => undefined,
      handleError: (error) => errors.push(error),
    });
    await Promise.resolve();
    expect(errors.map((error) => (error as Error).message)).to.deep.equal(['recovering the job failed']);
  });
});
