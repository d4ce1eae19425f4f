import { expect } from 'chai';
import { asCheckpointId } from '../../src/core/ids.js';
import { CommitResult, CommittedOutput } from '../../src/dataflow/committed-output.js';
import { TransactionalSink, type TransactionalSinkState } from '../../src/dataflow/transactional-sink.js';

const id = asCheckpointId;

/** A snapshot as it comes back in RestoreState: through JSON. */
const roundTrip = (state: TransactionalSinkState): TransactionalSinkState => JSON.parse(JSON.stringify(state)) as TransactionalSinkState;

describe('TransactionalSink', () => {
  let output: CommittedOutput<string>;
  let sink: TransactionalSink<string>;
  beforeEach(() => {
    output = new CommittedOutput<string>();
    sink = new TransactionalSink(output, 'sink-0');
  });

  function write(...records: string[]): void {
    for (const record of records) sink.processRecord(record);
  }

  it('pre-commits the open transaction on snapshot, keeps it in its state, and makes it visible only when the checkpoint completes', () => {
    write('a', 'b');
    expect(sink.snapshotState(id(1))).to.deep.equal({ pending: [{ transactionId: 'sink-0@1', checkpointId: 1 }] });
    write('c');
    expect(output.records()).to.deep.equal([]);
    sink.notifyCheckpointComplete(id(1));
    expect(output.records()).to.deep.equal(['a', 'b']);
    expect(output.committedCheckpointOf('sink-0')).to.equal(1);
  });

  it('commits every earlier pending transaction on a later completion (the subsuming contract)', () => {
    write('a');
    sink.snapshotState(id(1));
    write('b');
    expect(sink.snapshotState(id(2)).pending.map((transaction) => transaction.transactionId)).to.deep.equal(['sink-0@1', 'sink-0@2']);
    write('c');
    sink.snapshotState(id(3));
    sink.notifyCheckpointComplete(id(2));
    expect(output.records()).to.deep.equal(['a', 'b']);
    sink.notifyCheckpointComplete(id(2));
    sink.notifyCheckpointComplete(id(3));
    expect(output.records()).to.deep.equal(['a', 'b', 'c']);
    expect(output.stats()).to.deep.include({ committedTransactions: 3, repeatedCommits: 0 });
  });

  it('keeps the transaction of an aborted checkpoint pending, for the next completed checkpoint to commit', () => {
    write('a');
    sink.snapshotState(id(1));
    sink.notifyCheckpointAborted(id(1));
    write('b');
    sink.snapshotState(id(2));
    sink.notifyCheckpointComplete(id(2));
    expect(output.records()).to.deep.equal(['a', 'b']);
  });

  it('after a restore commits the restored pending transactions once: re-committing one committed before the failure is a no-op', () => {
    write('a');
    const atOne = roundTrip(sink.snapshotState(id(1)));
    sink.notifyCheckpointComplete(id(1));
    write('lost');
    sink.snapshotState(id(2));
    const restored = new TransactionalSink(output, 'sink-0');
    restored.restoreState(atOne);
    expect(output.records()).to.deep.equal(['a']);
    expect(output.stats()).to.deep.equal({ committedTransactions: 1, repeatedCommits: 1, abortedTransactions: 1, stagedTransactions: 0 });
    restored.processRecord('b');
    restored.snapshotState(id(3));
    restored.notifyCheckpointComplete(id(3));
    expect(output.records()).to.deep.equal(['a', 'b']);
  });

  it('after a restore commits a restored transaction whose completion notification never arrived', () => {
    write('a');
    const atOne = roundTrip(sink.snapshotState(id(1)));
    const restored = new TransactionalSink(output, 'sink-0');
    restored.restoreState(atOne);
    expect(output.records()).to.deep.equal(['a']);
    expect(output.stats().repeatedCommits).to.equal(0);
  });

  it('starts empty when restored without state, dropping the open transaction and every staged one', () => {
    write('a');
    sink.snapshotState(id(1));
    write('b');
    sink.restoreState(null);
    sink.snapshotState(id(2));
    sink.notifyCheckpointComplete(id(2));
    expect(output.records()).to.deep.equal([]);
  });
});

describe('CommittedOutput', () => {
  it('commits a transaction once and answers ALREADY_COMMITTED after that', () => {
    const output = new CommittedOutput<number>();
    output.preCommit('t1', 'sink-0', 1, [1, 2]);
    expect(output.commit('t1')).to.equal(CommitResult.COMMITTED);
    expect(output.commit('t1')).to.equal(CommitResult.ALREADY_COMMITTED);
    expect(output.records()).to.deep.equal([1, 2]);
    expect(output.isCommitted('t1')).to.equal(true);
  });

  it('refuses to commit a transaction that was never pre-committed, and to pre-commit an id twice', () => {
    const output = new CommittedOutput<number>();
    expect(() => output.commit('ghost')).to.throw(Error, "cannot commit transaction 'ghost': it was never pre-committed, or was aborted");
    output.preCommit('t1', 'sink-0', 1, []);
    expect(() => output.preCommit('t1', 'sink-0', 1, [])).to.throw(Error, "transaction 't1' was pre-committed before");
  });
});
