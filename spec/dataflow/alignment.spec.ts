import { expect } from 'chai';
import fc from 'fast-check';
import { asAttemptId } from '../../src/core/ids.js';
import { CheckpointingMode } from '../../src/dataflow/checkpointing-mode.js';
import { oneInputGraph, TaskUnderTest, twoInputGraph } from './support/task-under-test.js';

const LEFT = 0;
const RIGHT = 1;

describe('barrier alignment', () => {
  let t: TaskUnderTest;
  afterEach(() => t.dispose());

  describe('in exactly-once mode', () => {
    beforeEach(() => {
      t = new TaskUnderTest(twoInputGraph(), 'merge-0');
    });

    it('holds records arriving after barrier n on one input until barrier n arrived on the other, then snapshots, forwards the barrier, acknowledges and releases them in order', async () => {
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a2');
      t.records(RIGHT, 'b1');
      t.records(LEFT, 'a3');
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Records(b1)']);
      t.barrier(RIGHT, 1);
      t.records(RIGHT, 'b2');
      expect(await t.settle()).to.deep.equal([
        'Records(a1)', 'Records(b1)', 'Barrier(1)', 'Ack(1:["a1","b1"])', 'Records(a2,a3)', 'Records(b2)',
      ]);
    });

    it('takes the same cut whichever input delivers its barrier first', async () => {
      t.records(RIGHT, 'b1');
      t.barrier(RIGHT, 1);
      t.records(RIGHT, 'b2');
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a2');
      expect(await t.settle()).to.deep.equal([
        'Records(b1)', 'Records(a1)', 'Barrier(1)', 'Ack(1:["b1","a1"])', 'Records(b2)', 'Records(a2)',
      ]);
    });

    it('ignores TriggerCheckpoint: only barriers make a non-source task snapshot', async () => {
      t.trigger(1);
      t.records(LEFT, 'a1');
      expect(await t.settle()).to.deep.equal(['Records(a1)']);
      t.barrier(LEFT, 1);
      t.barrier(RIGHT, 1);
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Barrier(1)', 'Ack(1:["a1"])']);
    });

    it('on an aborted checkpoint releases the held records in order, ignores its late barriers and aligns the next checkpoint normally', async () => {
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a2');
      t.records(LEFT, 'a3');
      expect(await t.settle()).to.deep.equal(['Records(a1)']);
      t.abort(1);
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Records(a2,a3)']);
      t.records(RIGHT, 'b1');
      t.barrier(RIGHT, 1);
      t.records(RIGHT, 'b2');
      t.barrier(LEFT, 2);
      t.records(LEFT, 'a4');
      t.barrier(RIGHT, 2);
      expect(await t.settle()).to.deep.equal([
        'Records(a1)', 'Records(a2,a3)', 'Records(b1)', 'Records(b2)', 'Barrier(2)', 'Ack(2:["a1","a2","a3","b1","b2"])', 'Records(a4)',
      ]);
    });

    it('ignores an abort meant for another attempt of the task', async () => {
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a1');
      t.abort(1, asAttemptId('attempt-0'));
      expect(await t.settle()).to.deep.equal([]);
      t.barrier(RIGHT, 1);
      expect(await t.settle()).to.deep.equal(['Barrier(1)', 'Ack(1:[])', 'Records(a1)']);
    });

    it('abandons the alignment in progress when a barrier of a newer checkpoint arrives, releasing what it held', async () => {
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a1');
      t.barrier(RIGHT, 2);
      t.records(RIGHT, 'b1');
      t.records(LEFT, 'a2');
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Records(a2)']);
      t.barrier(LEFT, 2);
      t.barrier(LEFT, 1);
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Records(a2)', 'Barrier(2)', 'Ack(2:["a1","a2"])', 'Records(b1)']);
    });

    it('keeps aligning when a barrier of the next checkpoint is among the released records', async () => {
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 2);
      t.records(LEFT, 'a2');
      t.records(RIGHT, 'b1');
      t.barrier(RIGHT, 1);
      t.records(RIGHT, 'b2');
      t.barrier(RIGHT, 2);
      t.records(RIGHT, 'b3');
      expect(await t.settle()).to.deep.equal([
        'Records(b1)', 'Barrier(1)', 'Ack(1:["b1"])', 'Records(a1)', 'Records(b2)', 'Barrier(2)', 'Ack(2:["b1","a1","b2"])', 'Records(a2)', 'Records(b3)',
      ]);
    });

    it('after RestoreState drops the held records and every message of the previous epoch, and aligns in the new epoch from the restored state', async () => {
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a2');
      t.restore(1, ['z']);
      t.records(LEFT, 'stale');
      t.barrier(RIGHT, 1);
      expect(await t.settle()).to.deep.equal(['Records(a1)']);
      t.epoch = 1;
      t.records(RIGHT, 'b1');
      t.barrier(LEFT, 2);
      t.barrier(RIGHT, 2);
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Records@1(b1)', 'Barrier@1(2)', 'Ack(2:["z","b1"])']);
      expect(t.job.metrics.staleMessagesDropped).to.equal(2);
    });

    it("moves to the coordinator's restore round, so a redeployed attempt and a surviving one agree however many restores each saw", async () => {
      t.restore(1, ['z'], 3);
      t.epoch = 2;
      t.records(LEFT, 'older-round');
      t.epoch = 3;
      t.records(LEFT, 'a1');
      expect(await t.settle()).to.deep.equal(['Records@3(a1)']);

      t.deploy();
      t.restore(1, ['z'], 5);
      t.epoch = 4;
      t.records(RIGHT, 'skipped-round');
      t.epoch = 5;
      t.records(RIGHT, 'b1');
      expect(await t.settle()).to.deep.equal(['Records@3(a1)', 'Records@5(b1)']);
      expect(t.job.metrics.staleMessagesDropped).to.equal(2);
    });

    it('lets any interleaving of two inputs through with the cut at the barriers and each input in order', async () => {
      t.dispose();
      const channelStream = (name: string) => fc.tuple(fc.nat(3), fc.nat(3)).map(([before, after]) => ({
        before: Array.from({ length: before }, (_, i) => `${name}${i}`),
        after: Array.from({ length: after }, (_, i) => `${name}${before + i}`),
      }));
      await fc.assert(fc.asyncProperty(channelStream('a'), channelStream('b'), fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }), async (left, right, picks) => {
        t = new TaskUnderTest(twoInputGraph(), 'merge-0');
        try {
          type Item = { readonly channel: number; readonly kind: 'record' | 'barrier'; readonly name: string };
          const queues: Item[][] = [LEFT, RIGHT].map((channel) => {
            const { before, after } = channel === LEFT ? left : right;
            return [...before.map((name) => ({ channel, kind: 'record' as const, name })), { channel, kind: 'barrier' as const, name: '|' }, ...after.map((name) => ({ channel, kind: 'record' as const, name }))];
          });
          const arrival: Item[] = [];
          for (let i = 0; queues.some((queue) => queue.length > 0); i += 1) {
            const preferred = picks[i % picks.length] ? LEFT : RIGHT;
            const queue = (queues[preferred] as Item[]).length > 0 ? (queues[preferred] as Item[]) : (queues[1 - preferred] as Item[]);
            arrival.push(queue.shift() as Item);
          }
          for (const item of arrival) {
            if (item.kind === 'record') t.records(item.channel, item.name);
            else t.barrier(item.channel, 1);
          }
          // The model: a record after its input's barrier but before the other input's barrier waits for the last barrier.
          const lastBarrier = arrival.findLastIndex((item) => item.kind === 'barrier');
          const passedBarrier = new Set<number>();
          const before: string[] = [];
          const held: string[] = [];
          const afterwards: string[] = [];
          arrival.forEach((item, index) => {
            if (item.kind === 'barrier') passedBarrier.add(item.channel);
            else if (index > lastBarrier) afterwards.push(item.name);
            else (passedBarrier.has(item.channel) ? held : before).push(item.name);
          });
          const log = await t.settle();
          const dataOf = (lines: string[]) => lines.flatMap((line) => /^Records\((.*)\)$/.exec(line)?.[1]?.split(',') ?? []);
          const ack = log.findIndex((line) => line.startsWith('Ack('));
          expect(log[ack]).to.equal(`Ack(1:${JSON.stringify(before)})`);
          expect(log[ack - 1]).to.equal('Barrier(1)');
          expect(dataOf(log.slice(0, ack - 1))).to.deep.equal(before);
          expect(dataOf(log.slice(ack + 1))).to.deep.equal([...held, ...afterwards]);
        } finally {
          t.dispose();
        }
      }), { numRuns: 40 });
      t = new TaskUnderTest(twoInputGraph(), 'merge-0');
    });
  });

  describe('in at-least-once mode', () => {
    beforeEach(() => {
      t = new TaskUnderTest(twoInputGraph(), 'merge-0', { mode: CheckpointingMode.AT_LEAST_ONCE });
    });

    it('never holds records back and snapshots when the last barrier arrives, including records that followed the first barrier', async () => {
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 1);
      t.records(LEFT, 'a2');
      t.records(RIGHT, 'b1');
      t.barrier(RIGHT, 1);
      t.records(RIGHT, 'b2');
      expect(await t.settle()).to.deep.equal([
        'Records(a1)', 'Records(a2)', 'Records(b1)', 'Barrier(1)', 'Ack(1:["a1","a2","b1"])', 'Records(b2)',
      ]);
    });

    it('stops tracking an aborted checkpoint and snapshots the next one', async () => {
      t.barrier(LEFT, 1);
      t.abort(1);
      t.barrier(RIGHT, 1);
      t.records(LEFT, 'a1');
      t.barrier(LEFT, 2);
      t.barrier(RIGHT, 2);
      expect(await t.settle()).to.deep.equal(['Records(a1)', 'Barrier(2)', 'Ack(2:["a1"])']);
    });
  });

  describe('a one-input task', () => {
    beforeEach(() => {
      t = new TaskUnderTest(oneInputGraph(), 'map-0');
    });

    it('snapshots, forwards the barrier and acknowledges as soon as the barrier arrives', async () => {
      t.records(0, 'x1');
      t.barrier(0, 1);
      t.records(0, 'x2');
      expect(await t.settle()).to.deep.equal(['Records(x1)', 'Barrier(1)', 'Ack(1:["x1"])', 'Records(x2)']);
    });
  });
});

describe('a source task', () => {
  let t: TaskUnderTest;
  afterEach(() => t.dispose());
  const input = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6'];

  /** Runs `count` source steps: each step fires the source's paced timer and waits for what it emitted. */
  async function steps(count: number): Promise<string[]> {
    for (let step = 0; step < count; step += 1) await t.advance(1);
    return t.endpoint.log;
  }

  it('emits a batch per step, snapshots its position on TriggerCheckpoint and sends the barrier after what it emitted before', async () => {
    t = new TaskUnderTest(oneInputGraph(input), 'in-0', { downstream: 'map-0', recordsPerStep: 2 });
    expect(await t.settle()).to.deep.equal([]);
    await steps(2);
    t.trigger(1);
    expect(await steps(1)).to.deep.equal([
      'Records(i0,i1)', 'Records(i2,i3)', 'Barrier(1)', 'Ack(1:{"offset":4,"end":false})', 'Records(i4,i5)',
    ]);
    await steps(5);
    t.trigger(2);
    expect((await t.settle()).slice(5)).to.deep.equal(['Records(i6)', 'Barrier(2)', 'Ack(2:{"offset":7,"end":true})']);
  });

  it('after RestoreState emits again from the restored position, in the next epoch', async () => {
    t = new TaskUnderTest(oneInputGraph(input), 'in-0', { downstream: 'map-0', recordsPerStep: 2 });
    await steps(3);
    t.restore(1, { offset: 2, end: false });
    await t.settle();
    expect(await steps(1)).to.deep.equal(['Records(i0,i1)', 'Records(i2,i3)', 'Records(i4,i5)', 'Records@1(i2,i3)']);
  });

  it('emits nothing in a redeployed attempt, and declines checkpoints, until its RestoreState arrives', async () => {
    t = new TaskUnderTest(oneInputGraph(input), 'in-0', { downstream: 'map-0', recordsPerStep: 2 });
    await steps(1);
    t.job.crashTask('in-0');
    await t.settle();
    t.deploy();
    await steps(3);
    t.trigger(1);
    await t.settle();
    expect(t.endpoint.log).to.deep.equal(['Records(i0,i1)', 'TaskFailed', 'Decline(1)']);
    t.restore(null, null);
    await t.settle();
    expect(await steps(1)).to.deep.equal(['Records(i0,i1)', 'TaskFailed', 'Decline(1)', 'Records@1(i0,i1)']);
  });

  it('reports TaskFailed once when it crashes, and ignores protocol messages meant for another attempt', async () => {
    t = new TaskUnderTest(oneInputGraph(input), 'in-0', { downstream: 'map-0', recordsPerStep: 2 });
    t.trigger(1, asAttemptId('attempt-0'));
    expect(await t.settle()).to.deep.equal([]);
    t.job.crashTask('in-0', 'spec');
    t.job.crashTask('in-0', 'spec');
    await t.settle();
    expect(t.endpoint.log).to.deep.equal(['TaskFailed']);
  });
});
