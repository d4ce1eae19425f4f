import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { expect } from 'chai';
import { ManualClock } from '../../src/testing/index.js';
import { asCheckpointId, asJobId } from '../../src/core/ids.js';
import { AsyncStateDiscarder, DiscardTarget, type DiscardFailure } from '../../src/storage/state-discarder.js';
import { FlakyDeleter } from '../support/flaky-deleter.js';
import { StallingDeleter } from '../support/stalling-deleter.js';

// Lets every already-settled promise continuation run; no time passes.
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('AsyncStateDiscarder', () => {
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock();
  });

  it('deletes a queued file off the caller and is idle afterwards', async () => {
    const deleter = new FlakyDeleter(0);
    const discarder = new AsyncStateDiscarder(deleter, clock);

    discarder.discardFile('job-1/shared/a');
    expect(discarder.pendingCount()).to.equal(1);
    await discarder.whenIdle();

    expect(deleter.deleted).to.deep.equal(['job-1/shared/a']);
    expect(discarder.pendingCount()).to.equal(0);
    expect(discarder.failures()).to.deep.equal([]);
  });

  it('deletes the file of a file handle and nothing for inline bytes', async () => {
    const deleter = new FlakyDeleter(0);
    const discarder = new AsyncStateDiscarder(deleter, clock);

    discarder.discardHandle({ kind: 'bytes', handleName: 'small', data: 'AAEC', size: 3 });
    expect(discarder.pendingCount()).to.equal(0);
    discarder.discardHandle({ kind: 'file', path: 'job-1/shared/b', size: 3, checksum: 'c0ffee' });
    await discarder.whenIdle();

    expect(deleter.attempts).to.deep.equal(['job-1/shared/b']);
  });

  it('removes a checkpoint directory through the deleter', async () => {
    const deleter = new FlakyDeleter(0);
    const discarder = new AsyncStateDiscarder(deleter, clock);

    discarder.discardCheckpointDirectory(asJobId('job-1'), asCheckpointId(7));
    await discarder.whenIdle();

    expect(deleter.deleted).to.deep.equal(['job-1/chk-7']);
  });

  it('retries a failed deletion after delays that double, measured on the injected clock', async () => {
    const deleter = new FlakyDeleter(2);
    const discarder = new AsyncStateDiscarder(deleter, clock, { retryDelayMs: 100 });

    discarder.discardFile('job-1/shared/c');
    await settle();
    expect(deleter.attempts).to.have.length(1);
    clock.advance(99);
    await settle();
    expect(deleter.attempts, 'no retry before 100 ms').to.have.length(1);
    clock.advance(1);
    await settle();
    expect(deleter.attempts).to.have.length(2);
    clock.advance(199);
    await settle();
    expect(deleter.attempts, 'second retry waits 200 ms').to.have.length(2);
    expect(discarder.pendingCount(), 'a deletion waiting for its retry is still pending').to.equal(1);
    clock.advance(1);
    await discarder.whenIdle();

    expect(deleter.deleted).to.deep.equal(['job-1/shared/c']);
    expect(discarder.failures()).to.deep.equal([]);
  });

  it('reports a deletion that failed on every attempt with its path and last error, once', async () => {
    const deleter = new FlakyDeleter(Number.POSITIVE_INFINITY);
    const reported: DiscardFailure[] = [];
    const discarder = new AsyncStateDiscarder(deleter, clock, { maxAttempts: 3, retryDelayMs: 10, onFailure: (failure) => reported.push(failure) });

    discarder.discardFile('job-1/shared/d');
    await settle();
    clock.advance(10);
    await settle();
    clock.advance(20);
    await discarder.whenIdle();

    expect(deleter.attempts).to.deep.equal(['job-1/shared/d', 'job-1/shared/d', 'job-1/shared/d']);
    expect(reported).to.have.length(1);
    const [failure] = discarder.failures();
    expect(failure).to.deep.include({ target: DiscardTarget.FILE, path: 'job-1/shared/d', attempts: 3, failedAt: 30 });
    expect(failure?.lastError.message).to.equal('injected failure deleting job-1/shared/d (attempt 3)');
    expect(reported[0]).to.equal(failure);
    expect(discarder.pendingCount()).to.equal(0);
  });

  it('names the checkpoint directory in the report when its removal finally fails', async () => {
    const discarder = new AsyncStateDiscarder(new FlakyDeleter(1), clock, { maxAttempts: 1 });

    discarder.discardCheckpointDirectory(asJobId('job-2'), asCheckpointId(4));
    await discarder.whenIdle();

    expect(discarder.failures().map(({ target, path }) => ({ target, path }))).to.deep.equal([{ target: DiscardTarget.CHECKPOINT_DIRECTORY, path: 'job-2/chk-4' }]);
  });

  it('keeps the failure and carries on when the failure listener throws', async () => {
    const deleter = new FlakyDeleter(1);
    const discarder = new AsyncStateDiscarder(deleter, clock, { maxAttempts: 1, onFailure: () => { throw new Error('listener broke'); } });

    discarder.discardFile('job-1/shared/e');
    await discarder.whenIdle();
    discarder.discardFile('job-1/shared/f');
    await discarder.whenIdle();

    expect(discarder.failures().map((failure) => failure.path)).to.deep.equal(['job-1/shared/e']);
    expect(deleter.deleted).to.deep.equal(['job-1/shared/f']);
  });

  it('runs at most maxConcurrent deletions at once and counts queued and running ones as pending', async () => {
    const deleter = new StallingDeleter();
    const discarder = new AsyncStateDiscarder(deleter, clock, { maxConcurrent: 2 });

    for (const name of ['a', 'b', 'c', 'd', 'e']) discarder.discardFile(`job-1/shared/${name}`);
    await settle();
    expect(deleter.inFlight).to.deep.equal(['job-1/shared/a', 'job-1/shared/b']);
    expect(discarder.pendingCount()).to.equal(5);

    deleter.releaseOldest();
    await settle();
    expect(deleter.inFlight).to.deep.equal(['job-1/shared/b', 'job-1/shared/c']);
    expect(discarder.pendingCount()).to.equal(4);

    while (deleter.inFlight.length > 0) {
      deleter.releaseOldest();
      await settle();
    }
    await discarder.whenIdle();
    expect(deleter.deleted).to.deep.equal(['a', 'b', 'c', 'd', 'e'].map((name) => `job-1/shared/${name}`));
    expect(deleter.maxInFlight).to.equal(2);
  });

  it('deletes a file queued twice while pending only once', async () => {
    const deleter = new StallingDeleter();
    const discarder = new AsyncStateDiscarder(deleter, clock);

    discarder.discardFile('job-1/shared/g');
    discarder.discardFile('job-1/shared/g');
    expect(discarder.pendingCount()).to.equal(1);
    await settle();
    deleter.releaseOldest();
    await discarder.whenIdle();

    expect(deleter.deleted).to.deep.equal(['job-1/shared/g']);
  });

  it('does not become idle while a retry waits for the clock', async () => {
    const discarder = new AsyncStateDiscarder(new FlakyDeleter(1), clock, { retryDelayMs: 50 });
    let idle = false;

    discarder.discardFile('job-1/shared/h');
    void discarder.whenIdle().then(() => { idle = true; });
    await settle();
    expect(idle).to.equal(false);
    clock.advance(50);
    await settle();

    expect(idle).to.equal(true);
  });

  it('refuses options that cannot work, naming the option', () => {
    const deleter = new FlakyDeleter(0);
    expect(() => new AsyncStateDiscarder(deleter, clock, { maxAttempts: 0 })).to.throw(InvalidOptionError, 'AsyncStateDiscarderOptions.maxAttempts must be an integer of at least 1, got 0');
    expect(() => new AsyncStateDiscarder(deleter, clock, { retryDelayMs: -1 })).to.throw(InvalidOptionError, 'AsyncStateDiscarderOptions.retryDelayMs must be a finite number of at least 0, got -1');
    expect(() => new AsyncStateDiscarder(deleter, clock, { maxConcurrent: 1.5 })).to.throw(InvalidOptionError, 'AsyncStateDiscarderOptions.maxConcurrent must be an integer of at least 1, got 1.5');
  });
});
