import { expect } from 'chai';
import { ManualClock } from '../../src/actor/manual-clock.js';
import { asCheckpointId, asJobId } from '../../src/core/ids.js';
import { JobStatus } from '../../src/core/job-status.js';
import type { CoordinatorEvent } from '../../src/coordinator/coordinator-event.js';
import { CoordinatorReporter, type ReporterSettings } from '../../src/coordinator/coordinator-reporter.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { RecordingLogger } from '../../src/testing/recording-logger.js';
import { aCheckpoint } from '../support/checkpoint-fixtures.js';

const JOB = asJobId('job-1');
const IDLE_VIEW = { jobStatus: JobStatus.RUNNING, timerRunning: false, inProgress: 0, continuousFailures: 0, pendingDiscards: 0 };

describe('coordinator reporter (events, counts and the persisted history, without an actor system)', () => {
  let clock: ManualClock;
  let logger: RecordingLogger;
  let events: CoordinatorEvent[];
  const settings = (overrides: Partial<ReporterSettings> = {}): ReporterSettings => ({ jobId: JOB, clock, historySize: 10, persistHistory: false, ...overrides });
  beforeEach(() => {
    clock = new ManualClock(1_000);
    logger = new RecordingLogger();
    events = [];
  });

  it('stamps each event with the clock time and the job id, logs it and hands it to the listener', () => {
    const reporter = new CoordinatorReporter(settings(), logger, (event) => events.push(event), null);
    clock.advance(250);

    reporter.emit({ type: 'storage-failure', message: 'disk full' });

    expect(events).to.deep.equal([{ type: 'storage-failure', message: 'disk full', timestamp: 1_250, jobId: JOB }]);
    expect(logger.lines.map((line) => line.message).join('\n')).to.contain('disk full');
  });

  it('counts a listener that throws as an internal error and logs it naming the job and the event, and goes on', () => {
    const reporter = new CoordinatorReporter(settings(), logger, () => { throw new Error('listener bug'); }, null);

    reporter.emit({ type: 'storage-failure', message: 'first' });
    reporter.emit({ type: 'storage-failure', message: 'second' });

    expect(reporter.snapshot(IDLE_VIEW).counts.internalErrors).to.equal(2);
    expect(logger.messagesAt('error')).to.include("the onEvent listener of job job-1 threw on 'storage-failure': listener bug");
  });

  it('counts malformed messages, refused discards (each path) and internal errors, and reports each as an event', () => {
    const reporter = new CoordinatorReporter(settings(), logger, (event) => events.push(event), null);

    reporter.malformed('AcknowledgeCheckpoint.taskId must be a string');
    reporter.refusedDiscards(asCheckpointId(3), [{ path: 'job-1/shared/a', reason: 'retained' }, { path: 'job-1/shared/b', reason: 'retained' }]);
    reporter.internalError({ type: 'TriggerCheckpointNow' }, new Error('boom'));

    const { counts } = reporter.snapshot(IDLE_VIEW);
    expect([counts.malformedMessages, counts.refusedDiscards, counts.internalErrors]).to.deep.equal([1, 2, 1]);
    expect(events.map((event) => event.type)).to.deep.equal(['malformed-message', 'state-discard-refused', 'internal-error']);
    expect(events[2]).to.include({ message: "handling 'TriggerCheckpointNow' failed: boom" });
  });

  it('resolves flushHistory at once when the history is not persisted, and writes nothing', async () => {
    const storage = new InMemoryCheckpointStorage();
    const reporter = new CoordinatorReporter(settings({ persistHistory: false }), logger, null, storage);
    reporter.stats.reportCompleted(aCheckpoint(1), null);

    await reporter.flushHistory();

    expect(await storage.readHistory(JOB)).to.equal(null);
  });

  it('has the history of everything reported so far in the storage once flushHistory resolves', async () => {
    const storage = new InMemoryCheckpointStorage();
    const reporter = new CoordinatorReporter(settings({ persistHistory: true }), logger, null, storage);
    reporter.stats.reportCompleted(aCheckpoint(1), null);
    reporter.stats.reportCompleted(aCheckpoint(2), null);

    await reporter.flushHistory();

    const history = await storage.readHistory(JOB);
    expect(history?.totals.completed).to.equal(2);
    expect(history?.history.entries.map((entry) => entry.checkpointId)).to.deep.equal([1, 2]);
  });
});
