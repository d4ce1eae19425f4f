import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { expect } from 'chai';
import { CheckpointIdOrderError } from '../../src/checkpoint/checkpoint-id-order-error.js';
import { CheckpointRetention } from '../../src/checkpoint/checkpoint-properties.js';
import { CheckpointStoreShutDownError } from '../../src/checkpoint/checkpoint-store-shut-down-error.js';
import type { CompletedCheckpoint } from '../../src/checkpoint/completed-checkpoint.js';
import type { CompletedCheckpointDiscardFailure } from '../../src/checkpoint/standalone-completed-checkpoint-store.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { FencedCompletedCheckpointStoreOptions } from '../../src/ha/fenced-completed-checkpoint-store.js';
import { StaleLeaderError } from '../../src/ha/stale-leader-error.js';
import { aCheckpoint, aSavepoint } from '../support/checkpoint-fixtures.js';
import { FailingDiscarder } from '../support/failing-discarder.js';
import { RecordingDiscarder } from '../support/recording-discarder.js';
import { rejectionOf } from '../support/rejection-of.js';
import { haModes, useMode, type SpecInstance } from './support/ha-modes.js';
import { sessionOf, startContender, takeOverFromPausedLeader, type SpecContender } from './support/leader.js';
import { aCheckpointSharing, SharedFileLedger } from './support/shared-files.js';

const idsOf = (checkpoints: readonly CompletedCheckpoint[]): number[] => checkpoints.map((checkpoint) => checkpoint.checkpointId);

for (const mode of haModes()) {
  describe(`FencedCompletedCheckpointStore (${mode.mode} mode)`, () => {
    useMode(mode);

    function storeOf(leader: SpecContender, options: Partial<FencedCompletedCheckpointStoreOptions> = {}) {
      return leader.instance.services.checkpointRecovery('job-1').createCompletedCheckpointStore({ session: sessionOf(leader), maxRetained: 2, ...options });
    }

    /** A leader on a fresh instance, and a standby on another one. */
    async function leaderAndStandby(): Promise<{ leader: SpecContender; standby: SpecContender; standbyInstance: SpecInstance }> {
      const leader = await startContender(await mode.instance());
      const standbyInstance = await mode.instance();
      const standby = await startContender(standbyInstance);
      return { leader, standby, standbyInstance };
    }

    it('adds and subsumes beyond maxRetained in one write, and another instance recovers the retained ones ascending', async () => {
      const { leader, standby } = await leaderAndStandby();
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { discarder });
      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1)))).to.deep.equal([]);
      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)))).to.deep.equal([]);
      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)))).to.deep.equal([1]);
      expect(discarder.calls).to.deep.equal(['subsumed(1)']);
      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([2, 3]);
      expect(store.getLatestCheckpoint()?.checkpointId).to.equal(3);
      expect(store.getNumberOfRetainedCheckpoints()).to.equal(2);

      await store.shutdown(JobStatus.SUSPENDED);
      await leader.election.stop();
      await takeOverFromPausedLeader(standby);
      const recovered = await storeOf(standby);
      expect(idsOf(recovered.getAllCheckpoints())).to.deep.equal([2, 3]);
      expect(recovered.getLatestCheckpoint()).to.deep.equal(aCheckpoint(3));
    });

    it('hands every recovered checkpoint to onRecovered before discarding those beyond maxRetained', async () => {
      const { leader, standby } = await leaderAndStandby();
      const store = await storeOf(leader, { maxRetained: 3 });
      for (const id of [1, 2, 3]) await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(id));
      await store.shutdown(JobStatus.SUSPENDED);
      await leader.election.stop();
      await takeOverFromPausedLeader(standby);
      const events: string[] = [];
      const recovered = await storeOf(standby, {
        maxRetained: 1,
        onRecovered: (checkpoints) => events.push(`recovered(${idsOf(checkpoints).join(',')})`),
        discarder: { discard: async (checkpoint, cause) => { events.push(`${cause}(${checkpoint.checkpointId})`); } },
      });
      expect(events).to.deep.equal(['recovered(1,2,3)', 'subsumed(1)', 'subsumed(2)']);
      expect(idsOf(recovered.getAllCheckpoints())).to.deep.equal([3]);
    });

    it('keeps savepoints beside the chain: never subsumed, never counted, never discarded', async () => {
      const leader = await startContender(await mode.instance());
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { maxRetained: 1, discarder });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      await store.addCheckpointAndSubsumeOldestOne(aSavepoint(2));
      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)))).to.deep.equal([1]);
      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([2, 3]);
      expect(store.getNumberOfRetainedCheckpoints()).to.equal(1);
      await store.shutdown(JobStatus.FINISHED);
      expect(discarder.calls).to.deep.equal(['subsumed(1)', 'shutdown(3)']);
    });

    it('refuses checkpoints out of id order like the standalone store, leaving the refused checkpoint to the caller', async () => {
      const leader = await startContender(await mode.instance());
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { discarder });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
      const older = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)));
      expect(older).to.be.instanceOf(CheckpointIdOrderError);
      const same = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)));
      expect(same).to.be.instanceOf(CheckpointIdOrderError);
      expect(discarder.calls).to.deep.equal([]);
      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([3]);
    });

    it('rejects the add of a stale leader, leaving the new checkpoint to the caller, and the new leader recovers everything the old one held', async () => {
      const { leader, standby } = await leaderAndStandby();
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { discarder });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));
      await takeOverFromPausedLeader(standby);
      const rejection = await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)));
      expect(rejection).to.be.instanceOf(StaleLeaderError);
      expect(discarder.calls).to.deep.equal([]);
      expect(idsOf(store.getAllCheckpoints())).to.deep.equal([1, 2]);
      const recovered = await storeOf(standby);
      expect(idsOf(recovered.getAllCheckpoints())).to.deep.equal([1, 2]);
    });

    it('refuses a terminal shutdown by a stale leader: nothing is discarded and the new leader still recovers everything', async () => {
      const { leader, standby } = await leaderAndStandby();
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { discarder });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      await takeOverFromPausedLeader(standby);
      expect(await rejectionOf(store.shutdown(JobStatus.FINISHED))).to.be.instanceOf(StaleLeaderError);
      expect(discarder.calls).to.deep.equal([]);
      expect(idsOf((await storeOf(standby)).getAllCheckpoints())).to.deep.equal([1]);
    });

    describe('shutdown by job status and retention', () => {
      // Checkpoint 1 never retains, 2 retains on cancellation (and failure), 3 on failure only; 4 is a savepoint.
      const cases = [
        { status: JobStatus.FINISHED, discarded: ['shutdown(1)', 'shutdown(2)', 'shutdown(3)'] },
        { status: JobStatus.CANCELED, discarded: ['shutdown(1)', 'shutdown(3)'] },
        { status: JobStatus.FAILED, discarded: ['shutdown(1)'] },
      ] as const;
      for (const { status, discarded } of cases) {
        it(`${status} discards ${discarded.join(', ')} and forgets every checkpoint`, async () => {
          const { leader, standby } = await leaderAndStandby();
          const discarder = new RecordingDiscarder();
          const store = await storeOf(leader, { maxRetained: 3, discarder });
          await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
          await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2, { retention: CheckpointRetention.RETAIN_ON_CANCELLATION }));
          await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3, { retention: CheckpointRetention.RETAIN_ON_FAILURE }));
          await store.addCheckpointAndSubsumeOldestOne(aSavepoint(4));
          await store.shutdown(status);
          expect(discarder.calls).to.deep.equal(discarded);
          expect(store.getAllCheckpoints()).to.deep.equal([]);
          await leader.election.stop();
          await takeOverFromPausedLeader(standby);
          expect(idsOf((await storeOf(standby)).getAllCheckpoints())).to.deep.equal([]);
        });
      }

      it('SUSPENDED keeps every checkpoint for the next leader and discards nothing', async () => {
        const { leader, standby } = await leaderAndStandby();
        const discarder = new RecordingDiscarder();
        const store = await storeOf(leader, { discarder });
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
        await store.addCheckpointAndSubsumeOldestOne(aSavepoint(2));
        await store.shutdown(JobStatus.SUSPENDED);
        expect(discarder.calls).to.deep.equal([]);
        await leader.election.stop();
        await takeOverFromPausedLeader(standby);
        expect(idsOf((await storeOf(standby)).getAllCheckpoints())).to.deep.equal([1, 2]);
      });

      it('lets a kept checkpoint keep the shared files a discarded one also referenced', async () => {
        const leader = await startContender(await mode.instance());
        const ledger = new SharedFileLedger();
        const store = await storeOf(leader, { discarder: ledger });
        await store.addCheckpointAndSubsumeOldestOne(ledger.register(aCheckpointSharing(1, ['a.sst'], CheckpointRetention.RETAIN_ON_CANCELLATION)));
        await store.addCheckpointAndSubsumeOldestOne(ledger.register(aCheckpointSharing(2, ['a.sst', 'b.sst'])));
        await store.shutdown(JobStatus.CANCELED);
        expect(ledger.deleted).to.deep.equal(['job-1/shared/b.sst']);
      });
    });

    it('adds nothing after shutdown, leaving the refused checkpoint to the caller', async () => {
      const leader = await startContender(await mode.instance());
      const discarder = new RecordingDiscarder();
      const store = await storeOf(leader, { discarder });
      await store.shutdown(JobStatus.SUSPENDED);
      expect(await rejectionOf(store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1)))).to.be.instanceOf(CheckpointStoreShutDownError);
      expect(discarder.calls).to.deep.equal([]);
    });

    it('reports a failed discard and still completes the add', async () => {
      const leader = await startContender(await mode.instance());
      const failures: CompletedCheckpointDiscardFailure[] = [];
      const store = await storeOf(leader, { maxRetained: 1, discarder: new FailingDiscarder('rejects'), onDiscardFailure: (failure) => failures.push(failure) });
      await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
      expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(2)))).to.deep.equal([1]);
      expect(failures.map((failure) => `${failure.cause}(${failure.checkpoint.checkpointId})`)).to.deep.equal(['subsumed(1)']);
    });

    it('refuses an invalid maxRetained before touching storage, naming it', async () => {
      const leader = await startContender(await mode.instance());
      expect(await rejectionOf(storeOf(leader, { maxRetained: 0 }))).to.be.instanceOf(InvalidOptionError)
        .with.property('message', 'CompletedCheckpointStoreOptions.maxRetained must be an integer of at least 1, got 0');
    });

    describe('a lock per store instance', () => {
      /** A leader with checkpoints 1 and 2, paused; a standby that took over and recovered them too. */
      async function heldByBoth() {
        const { leader, standby } = await leaderAndStandby();
        const oldDiscarder = new RecordingDiscarder();
        const oldStore = await storeOf(leader, { discarder: oldDiscarder });
        await oldStore.addCheckpointAndSubsumeOldestOne(aCheckpoint(1));
        await oldStore.addCheckpointAndSubsumeOldestOne(aCheckpoint(2));
        await takeOverFromPausedLeader(standby);
        const discarder = new RecordingDiscarder();
        const store = await storeOf(standby, { discarder });
        return { leader, standby, oldStore, oldDiscarder, store, discarder };
      }

      it('does not delete a subsumed checkpoint another instance still holds, and discards it once that instance released it', async () => {
        const { oldStore, oldDiscarder, store, discarder } = await heldByBoth();
        expect(idsOf(await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3)))).to.deep.equal([1]);
        expect(discarder.calls, 'pinned by the old instance').to.deep.equal([]);
        expect(idsOf(store.pinnedCheckpoints())).to.deep.equal([1]);
        expect(idsOf(await store.discardReleasedCheckpoints())).to.deep.equal([]);

        await oldStore.shutdown(JobStatus.SUSPENDED);
        expect(oldDiscarder.calls, 'a stale instance discards nothing').to.deep.equal([]);
        expect(idsOf(await store.discardReleasedCheckpoints())).to.deep.equal([1]);
        expect(discarder.calls).to.deep.equal(['subsumed(1)']);
        expect(store.pinnedCheckpoints()).to.deep.equal([]);
      });

      it('does not let the locks of a dead instance pin a checkpoint', async () => {
        const { leader, store, discarder } = await heldByBoth();
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
        expect(discarder.calls).to.deep.equal([]);
        await leader.instance.kill();
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(4));
        expect(discarder.calls).to.deep.equal(['subsumed(1)', 'subsumed(2)']);
      });

      it('hands a checkpoint still pinned at failover to the next leader, who registers it and discards it once released', async () => {
        const { standby, oldStore, store } = await heldByBoth();
        await store.addCheckpointAndSubsumeOldestOne(aCheckpoint(3));
        await store.shutdown(JobStatus.SUSPENDED);
        await standby.election.stop();
        const next = await startContender(await mode.instance());
        const events: string[] = [];
        const recovered = await storeOf(next, {
          onRecovered: (checkpoints) => events.push(`recovered(${idsOf(checkpoints).join(',')})`),
          discarder: { discard: async (checkpoint, cause) => { events.push(`${cause}(${checkpoint.checkpointId})`); } },
        });
        expect(idsOf(recovered.getAllCheckpoints())).to.deep.equal([2, 3]);
        expect(idsOf(recovered.pinnedCheckpoints())).to.deep.equal([1]);
        await oldStore.shutdown(JobStatus.SUSPENDED);
        await recovered.discardReleasedCheckpoints();
        expect(events).to.deep.equal(['recovered(1,2,3)', 'subsumed(1)']);
      });
    });
  });
}
