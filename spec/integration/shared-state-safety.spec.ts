import { expect } from 'chai';
import fc from 'fast-check';
import { ask } from '../../src/actor/typed-ref.js';
import { CheckpointFailureReason } from '../../src/checkpoint/checkpoint-failure-reason.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { JsonValue } from '../../src/core/json.js';
import type { Entries } from '../support/incremental-task.js';
import { IncrementalJob, type CoordinatorStop, type IncrementalJobOptions } from './support/incremental-job.js';

/*
 * Issue 3's proof: whatever happens — periodic and manual triggers, slow, duplicate and late acknowledgements,
 * declines, timeouts, subsumption, task failures and coordinator restarts recovered from storage — every file a
 * retained checkpoint references exists and verifies, no unreferenced file outlives the deletions once nothing is in
 * flight, and a restored task holds exactly the state it had when it snapshotted the checkpoint it was restored from.
 */

type Step =
  | { readonly kind: 'mutate'; readonly task: number; readonly ops: readonly { readonly key: number; readonly value: number | null }[] }
  | { readonly kind: 'tick' }
  | { readonly kind: 'manual-trigger' }
  | { readonly kind: 'savepoint' }
  | { readonly kind: 'stall-deletions' }
  | { readonly kind: 'resume-deletions' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'hold-acks'; readonly task: number }
  | { readonly kind: 'release-acks'; readonly task: number }
  | { readonly kind: 'duplicate-ack'; readonly pick: number }
  | { readonly kind: 'decline-next'; readonly task: number }
  | { readonly kind: 'decline-pending'; readonly task: number }
  | { readonly kind: 'fail-task'; readonly task: number }
  | { readonly kind: 'restore' }
  | { readonly kind: 'restart-coordinator'; readonly how: CoordinatorStop };

interface Scenario {
  readonly tasks: number;
  readonly retained: number;
  readonly maxConcurrent: number;
  readonly maxSegments: number;
  readonly tolerableFailures: number;
  readonly restartDelay: number;
  readonly maxPendingDiscards: number;
}

const task = fc.nat(2);
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutate' as const), task, ops: fc.array(fc.record({ key: fc.nat(5), value: fc.option(fc.nat(99), { nil: null }) }), { minLength: 1, maxLength: 3 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'manual-trigger' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'timeout' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'savepoint' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'stall-deletions' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'resume-deletions' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hold-acks' as const), task }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release-acks' as const), task }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('duplicate-ack' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('decline-next' as const), task }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('decline-pending' as const), task }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail-task' as const), task }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restore' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('restart-coordinator' as const), how: fc.constantFrom<CoordinatorStop>('suspend', 'crash') }) },
);

const scenarioArbitrary: fc.Arbitrary<Scenario> = fc.record({
  tasks: fc.integer({ min: 1, max: 3 }),
  retained: fc.integer({ min: 1, max: 3 }),
  maxConcurrent: fc.integer({ min: 1, max: 3 }),
  maxSegments: fc.integer({ min: 1, max: 3 }),
  tolerableFailures: fc.constantFrom(0, 2, 1000),
  restartDelay: fc.constantFrom(0, 0, 50),
  maxPendingDiscards: fc.constantFrom(2, 1000, 1000),
});

/** What the spec expects each task to hold, and how far it has checked the journal and the events. */
class Expectations {
  readonly model = new Map<string, Record<string, JsonValue>>();
  private eventsSeen = 0;
  private snapshotsSeen = 0;
  private restoresSeen = 0;
  private firstIdChecked = false;
  private expectedFirstId = 1;

  constructor(private readonly job: IncrementalJob) {
    for (const taskId of job.taskIds) this.model.set(taskId, {});
  }

  /** A new coordinator incarnation: tasks start empty unless restored, and ids continue after the latest retained checkpoint. */
  coordinatorStarted(latestRetainedId: number | null): void {
    for (const taskId of this.job.taskIds) this.model.set(taskId, {});
    this.eventsSeen = 0;
    this.expectedFirstId = (latestRetainedId ?? 0) + 1;
    this.firstIdChecked = false;
  }

  /** Checks everything once the job has settled after a step. */
  async check(where: string): Promise<void> {
    const { job } = this;
    const stats = await job.settle();
    expect(stats.jobStatus, `${where}: job status`).to.equal(JobStatus.RUNNING);

    // A checkpoint's placeholders always resolve: a backend only sends one for a segment a completed checkpoint registered.
    const events = job.events.slice(this.eventsSeen);
    this.eventsSeen = job.events.length;
    for (const event of events) {
      if (event.type !== 'checkpoint-failed' || event.reason !== CheckpointFailureReason.IO_FAILURE) continue;
      const savepoint = job.events.some((trigger) => trigger.type === 'checkpoint-triggered' && trigger.checkpointId === event.checkpointId && trigger.savepoint);
      if (!savepoint) expect(event.message, `${where}: checkpoint ${event.checkpointId} failed to finalize`).to.not.include('registering its shared state failed');
    }

    const restores = job.journal.restores.slice(this.restoresSeen);
    this.restoresSeen = job.journal.restores.length;
    const snapshots = job.journal.snapshots.slice(this.snapshotsSeen);
    this.snapshotsSeen = job.journal.snapshots.length;
    if (restores.length === 0) {
      // Snapshots taken in a step without a restore captured the state the model holds.
      for (const snapshot of snapshots) {
        expect(snapshot.entries, `${where}: ${snapshot.taskId} snapshotted checkpoint ${snapshot.checkpointId}`).to.deep.equal(this.model.get(snapshot.taskId));
      }
    }
    for (const restore of restores) {
      const expected: Entries | undefined = restore.checkpointId === null ? {} : job.journal.snapshotOf(restore.taskId, restore.checkpointId);
      expect(expected, `${where}: ${restore.taskId} was restored from checkpoint ${restore.checkpointId}, which it never snapshotted`).to.not.equal(undefined);
      expect(restore.entries, `${where}: ${restore.taskId} restored from checkpoint ${restore.checkpointId}`).to.deep.equal(expected);
      this.model.set(restore.taskId, { ...expected });
    }
    for (const running of await job.runningTasks()) {
      expect(await job.read(running.taskId), `${where}: live state of ${running.taskId}`).to.deep.equal(this.model.get(running.taskId));
    }

    if (!this.firstIdChecked) {
      const first = job.events.find((event) => event.type === 'checkpoint-triggered');
      if (first !== undefined && first.type === 'checkpoint-triggered') {
        expect(first.checkpointId, `${where}: first checkpoint id of coordinator incarnation ${job.generation}`).to.equal(this.expectedFirstId);
        this.firstIdChecked = true;
      }
    }

    const deletionsSettled = await job.deletionsSettled();
    const report = await job.audit();
    const retained = job.setup.store.getAllCheckpoints().map((checkpoint) => checkpoint.checkpointId);
    expect(report.missing, `${where}: files missing from retained checkpoints ${retained.join(', ')}`).to.deep.equal([]);
    expect(report.corrupt, `${where}: corrupt files of retained checkpoints ${retained.join(', ')}`).to.deep.equal([]);
    const settledStats = await job.stats();
    if (deletionsSettled && settledStats.counts.inProgress === 0 && job.relay.buffer.length === 0) {
      expect(report.orphans.map((orphan) => orphan.path), `${where}: unreferenced files with nothing in flight (retained ${retained.join(', ')})`).to.deep.equal([]);
    }
  }
}

async function runStep(job: IncrementalJob, expectations: Expectations, step: Step): Promise<void> {
  const taskId = (index: number): string => job.taskIds[index % job.taskIds.length] as string;
  switch (step.kind) {
    case 'mutate': {
      const id = taskId(step.task);
      if ((await job.task(id)) === undefined) return;
      const model = expectations.model.get(id) as Record<string, JsonValue>;
      for (const { key, value } of step.ops) {
        if (value === null) {
          await job.delete(id, `k${key}`);
          delete model[`k${key}`];
        } else {
          await job.put(id, `k${key}`, value);
          model[`k${key}`] = value;
        }
      }
      return;
    }
    case 'tick':
      job.clock.advance(job.interval);
      return;
    case 'manual-trigger':
      job.triggerCheckpoint();
      return;
    case 'savepoint':
      job.triggerSavepoint();
      return;
    case 'stall-deletions':
      job.storage.stallDeletions();
      return;
    case 'resume-deletions':
      job.resumeDeletions();
      return;
    case 'timeout':
      job.clock.advance(job.timeout);
      return;
    case 'hold-acks':
      job.relay.held.add(taskId(step.task));
      return;
    case 'release-acks':
      job.release(taskId(step.task));
      return;
    case 'duplicate-ack': {
      const { acks } = job.relay;
      if (acks.length > 0) job.send({ ...(acks[step.pick % acks.length] as (typeof acks)[number]) });
      return;
    }
    case 'decline-next':
      job.journal.declineNext.add(taskId(step.task));
      return;
    case 'decline-pending': {
      const newest = job.checkpointsInFlight().at(-1);
      if (newest !== undefined) await job.decline(taskId(step.task), newest);
      return;
    }
    case 'fail-task':
      await job.explode(taskId(step.task));
      return;
    case 'restore':
      job.requestRestore();
      return;
    case 'restart-coordinator':
      await job.restartCoordinator(step.how);
      expectations.coordinatorStarted(job.recoveredLatestId);
      return;
  }
}

/** Releases everything, stops triggering, lets whatever is still pending expire, then checks that nothing leaked. */
async function quiesce(job: IncrementalJob, expectations: Expectations): Promise<void> {
  await job.settle();
  await ask(job.coordinator, { type: 'StopCheckpointScheduler' });
  job.resumeDeletions();
  job.releaseAll();
  await job.settle();
  job.clock.advance(job.timeout);
  await expectations.check('after quiescing');
  const stats = await job.stats();
  expect(stats.counts.inProgress, 'checkpoints in flight after quiescing').to.equal(0);
  const report = await job.audit();
  expect(report.orphans.map((orphan) => orphan.path), 'unreferenced files after quiescing').to.deep.equal([]);
}

/**
 * The seed is pinned so the suite is repeatable for everyone sharing it; set FC_SEED (a number, or `random`) and
 * FC_RUNS to explore further. A failure prints the shrunk scenario and steps, with the seed and path to replay it.
 */
const seedSetting = process.env['FC_SEED'];
const seed = seedSetting === 'random' ? undefined : Number(seedSetting ?? 20261121);
const numRuns = Number(process.env['FC_RUNS'] ?? 50);

describe('shared state safety (property)', function () {
  this.timeout(600_000);

  it('never loses a file a retained checkpoint references, leaves no orphan once deletions settle, and restores exactly the snapshotted state', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, fc.array(stepArbitrary, { minLength: 10, maxLength: 80, size: 'max' }), async (scenario, steps) => {
        const options: IncrementalJobOptions = {
          taskIds: ['a', 'b', 'c'].slice(0, scenario.tasks),
          retained: scenario.retained,
          maxConcurrent: scenario.maxConcurrent,
          maxSegments: scenario.maxSegments,
          tolerableFailures: scenario.tolerableFailures,
          restartDelay: scenario.restartDelay,
          maxPendingDiscards: scenario.maxPendingDiscards,
        };
        const job = await IncrementalJob.create(options);
        try {
          await job.startCoordinator();
          const expectations = new Expectations(job);
          expectations.coordinatorStarted(null);
          for (const [index, step] of steps.entries()) {
            await runStep(job, expectations, step);
            await expectations.check(`step ${index} (${JSON.stringify(step)})`);
          }
          await quiesce(job, expectations);
          await job.restartCoordinator('suspend');
          expectations.coordinatorStarted(job.recoveredLatestId);
          await expectations.check('after the final recovery');
        } finally {
          await job.dispose();
        }
      }),
      { numRuns, ...(seed === undefined ? {} : { seed }) },
    );
  });
});
