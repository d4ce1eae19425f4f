import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { InMemoryCheckpointStorage } from '../../src/storage/in-memory-checkpoint-storage.js';
import { validateCoordinatorOptions, type CheckpointCoordinatorOptions } from '../../src/coordinator/coordinator-options.js';

const valid: CheckpointCoordinatorOptions = { jobId: 'job-1', interval: 100 };

function rejection(options: Record<string, unknown>): InvalidOptionError {
  try {
    validateCoordinatorOptions({ ...valid, ...options } as CheckpointCoordinatorOptions);
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidOptionError);
    return error as InvalidOptionError;
  }
  throw new Error(`options ${JSON.stringify(options)} were accepted`);
}

describe('validateCoordinatorOptions', () => {
  it('fills in Flink-like defaults', () => {
    expect(validateCoordinatorOptions(valid)).to.deep.include({
      jobId: 'job-1', interval: 100, initialDelay: 100, timeout: 600_000, minPause: 0, maxConcurrent: 1, tolerableFailures: 0,
      retained: 1, maxQueuedRequests: 1000, maxPendingDiscards: 1000, errorIfNoCheckpoint: false, allowNonRestoredState: false,
      retention: 'never-retain-after-termination', startScheduler: true, name: 'checkpoint-coordinator-job-1', historySize: 10,
      persistHistory: false,
    });
  });

  it('checks the logger, the history size and persistHistory', () => {
    expect(rejection({ logger: 'console' }).message).to.equal('CheckpointCoordinatorOptions.logger must be a logger { debug, info, warn, error } (pino works), got string');
    expect(rejection({ logger: { info: () => undefined, warn: () => undefined } }).message)
      .to.equal('CheckpointCoordinatorOptions.logger lacks the methods debug, error (a pino-compatible logger has debug, info, warn and error)');
    expect(rejection({ historySize: 0 }).message).to.equal('CheckpointCoordinatorOptions.historySize must be an integer >= 1, got 0');
    expect(rejection({ persistHistory: true }).message).to.equal('CheckpointCoordinatorOptions.persistHistory needs a storage to persist the history to: pass `storage` (or leave persistHistory out)');
    expect(validateCoordinatorOptions({ ...valid, storage: new InMemoryCheckpointStorage() }).persistHistory).to.equal(true);
    expect(validateCoordinatorOptions({ ...valid, storage: new InMemoryCheckpointStorage(), persistHistory: false }).persistHistory).to.equal(false);
  });

  it('names the field and the value of each invalid option', () => {
    expect(rejection({ interval: 0 }).message).to.equal('CheckpointCoordinatorOptions.interval must be an integer >= 1, got 0');
    expect(rejection({ interval: undefined }).message).to.equal('CheckpointCoordinatorOptions.interval is required: milliseconds between periodic checkpoints');
    expect(rejection({ retained: 0 }).message).to.equal('CheckpointCoordinatorOptions.retained must be an integer >= 1, got 0');
    expect(rejection({ maxConcurrent: 1.5 }).field).to.equal('CheckpointCoordinatorOptions.maxConcurrent');
    expect(rejection({ timeout: -1 }).field).to.equal('CheckpointCoordinatorOptions.timeout');
    expect(rejection({ minPause: 'soon' }).message).to.equal('CheckpointCoordinatorOptions.minPause must be an integer >= 0, got soon');
    expect(rejection({ tolerableFailures: -1 }).message).to.equal('CheckpointCoordinatorOptions.tolerableFailures must be an integer >= 0 (or Infinity), got -1');
    expect(rejection({ errorIfNoCheckpoint: 'yes' }).message).to.equal('CheckpointCoordinatorOptions.errorIfNoCheckpoint must be true or false, got yes');
    expect(rejection({ retention: 'forever' }).message).to.equal('CheckpointCoordinatorOptions.retention must be one of never-retain-after-termination, retain-on-cancellation, retain-on-failure, got forever');
    expect(rejection({ jobId: '../etc' }).field).to.equal('CheckpointCoordinatorOptions.jobId');
  });

  it('accepts unlimited tolerable failures', () => {
    expect(validateCoordinatorOptions({ ...valid, tolerableFailures: Number.POSITIVE_INFINITY }).tolerableFailures).to.equal(Number.POSITIVE_INFINITY);
  });

  it('refuses tasks with invalid or repeated ids, or without a deploy function', () => {
    const deploy = (() => { throw new Error('unused'); }) as never;
    expect(rejection({ tasks: [{ taskId: 'a', deploy }, { taskId: 'a', deploy }] }).message).to.equal("CheckpointCoordinatorOptions.tasks[1].taskId 'a' is used by more than one task");
    expect(rejection({ tasks: [{ taskId: 'a b', deploy }] }).field).to.equal('CheckpointCoordinatorOptions.tasks[0].taskId');
    expect(rejection({ tasks: [{ taskId: 'a' }] }).message).to.equal('CheckpointCoordinatorOptions.tasks[0].deploy must be a function that spawns an attempt of the task');
  });
});
