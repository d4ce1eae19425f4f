import { expect } from 'chai';
import { tell } from '../../src/actor/typed-ref.js';
import { asTaskId } from '../../src/core/ids.js';
import type { Logger } from '../../src/core/logger.js';
import { RecordingLogger } from '../../src/testing/recording-logger.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

/** The shape of pino's log methods, written out here so the spec needs no pino: an object first, or a message alone. */
interface PinoStyleLogFn {
  <T extends object>(object: T, message?: string, ...args: unknown[]): void;
  (object: unknown, message?: string, ...args: unknown[]): void;
  (message: string, ...args: unknown[]): void;
}

describe('CheckpointCoordinator: events and logging', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  function failTask(taskId: string, error = 'boom'): void {
    const { jobId, attemptId } = h.tasks.current(taskId);
    tell(h.coordinator, { type: 'TaskFailed', jobId, taskId: asTaskId(taskId), attemptId, error });
  }

  it("stamps every event with the job id and the clock's time when it happened", async () => {
    await h.spawn({ interval: 100, restartStrategy: { kind: 'fixed-delay', attempts: 5, delay: 30 } });
    await h.advance(100);
    h.clock.advance(7);
    failTask('sink');
    await h.settle();
    await h.advance(30);

    expect(h.events.map((event) => `${event.type}@${event.timestamp}/${event.jobId}`)).to.deep.equal([
      'checkpoint-triggered@1100/job-1',
      'checkpoint-completed@1100/job-1',
      'task-failed@1107/job-1',
      'restart-scheduled@1107/job-1',
      'task-restarted@1137/job-1',
      'state-restored@1137/job-1',
    ]);
  });

  it('logs every event at its level: progress as debug and info, failures as warn, a job that fails for good as error', async () => {
    const logger = new RecordingLogger();
    await h.spawn({ startScheduler: false, logger, tolerableFailures: 5, restartStrategy: { kind: 'none' } });
    await h.triggerNow();
    h.tasks.answer('sink', 'decline');
    await h.triggerNow();
    failTask('source');
    await h.settle();

    expect(logger.messagesAt('debug')).to.deep.equal(['checkpoint 1 of job job-1 triggered', 'checkpoint 2 of job job-1 triggered']);
    expect(logger.messagesAt('info')).to.deep.equal(['checkpoint 1 of job job-1 completed in 0 ms (18 bytes)']);
    expect(logger.messagesAt('warn')).to.deep.equal([
      'job job-1: task sink declined checkpoint 2: not ready',
      `task source of job job-1 failed: boom`,
    ]);
    expect(logger.messagesAt('error')).to.deep.equal(['job job-1 failed: the restart strategy gave up: none allows no restart; last: task source (attempt ' +
      `${h.tasks.current('source').attemptId}) failed: boom`]);
    expect(logger.at('info')[0]?.fields).to.deep.equal({
      event: 'checkpoint-completed', jobId: 'job-1', timestamp: 1000, checkpointId: 1, kind: 'checkpoint', durationMs: 0, stateSize: 18, tasks: 2, externalPointer: null,
    });
    expect(logger.at('warn')[0]?.fields).to.deep.equal({ event: 'checkpoint-failed', jobId: 'job-1', timestamp: 1000, checkpointId: 2, reason: 'declined' });
  });

  it('logs malformed messages as warnings, without nact logging configured', async () => {
    const logger = new RecordingLogger();
    await h.spawn({ startScheduler: false, logger });
    tell(h.coordinator as never, { type: 'Nonsense' } as never);
    await h.settle();

    expect(logger.messagesAt('warn')).to.deep.equal(["the checkpoint coordinator of job job-1 ignored a malformed message: unknown message type 'Nonsense'"]);
    expect(h.events.map((event) => event.type)).to.deep.equal(['malformed-message']);
  });

  it('logs a listener that throws as an error and keeps going; a logger that throws changes nothing', async () => {
    const logger = new RecordingLogger();
    await h.spawn({ startScheduler: false, logger, onEvent: () => { throw new Error('listener bug'); } });
    expect((await h.triggerNow()).status).to.equal('completed');
    expect(logger.messagesAt('error')).to.deep.equal([
      "the onEvent listener of job job-1 threw on 'checkpoint-triggered': listener bug",
      "the onEvent listener of job job-1 threw on 'checkpoint-completed': listener bug",
    ]);

    const broken = new CoordinatorHarness();
    try {
      const explode = (): never => { throw new Error('logger bug'); };
      await broken.spawn({ startScheduler: false, logger: { debug: explode, info: explode, warn: explode, error: explode } });
      expect((await broken.triggerNow()).status).to.equal('completed');
      expect((await broken.stats()).counts.internalErrors).to.equal(0);
    } finally {
      broken.dispose();
    }
  });

  it('takes a pino-style logger, whose methods need their own this', async () => {
    const received: string[] = [];
    class PinoLike {
      private readonly prefix = 'pino';
      readonly debug: PinoStyleLogFn = function (this: PinoLike, object: unknown, message?: unknown): void { received.push(`${this.prefix} debug ${String(message)} ${JSON.stringify(object)}`); };
      readonly info: PinoStyleLogFn = function (this: PinoLike, _object: unknown, message?: unknown): void { received.push(`${this.prefix} info ${String(message)}`); };
      readonly warn: PinoStyleLogFn = function (this: PinoLike, _object: unknown, message?: unknown): void { received.push(`${this.prefix} warn ${String(message)}`); };
      readonly error: PinoStyleLogFn = function (this: PinoLike, _object: unknown, message?: unknown): void { received.push(`${this.prefix} error ${String(message)}`); };
    }
    const pinoLike: Logger = new PinoLike();
    await h.spawn({ startScheduler: false, logger: pinoLike });
    await h.triggerNow();

    expect(received).to.deep.equal([
      'pino debug checkpoint 1 of job job-1 triggered {"event":"checkpoint-triggered","jobId":"job-1","timestamp":1000,"checkpointId":1,"savepoint":false}',
      'pino info checkpoint 1 of job job-1 completed in 0 ms (18 bytes)',
    ]);
  });
});
