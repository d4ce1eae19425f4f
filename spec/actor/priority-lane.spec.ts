import { expect } from 'chai';
import { spawn, start, stop, type Ref } from 'nact';
import { offerPriorityLane, priorityLaneOf, type PriorityLane } from '../../src/actor/priority-lane.js';
import { typedRef } from '../../src/actor/typed-ref.js';

describe('priority lanes', () => {
  let system: Ref<unknown>;
  beforeEach(() => { system = start(); });
  afterEach(() => stop(system));

  it('are found by the very ref they were offered for, and not by another actor\'s', () => {
    const offering = typedRef<string>(spawn(system, (state: number) => state, 'offering', { initialState: 0 }));
    const other = typedRef<string>(spawn(system, (state: number) => state, 'other', { initialState: 0 }));
    const offered: string[] = [];
    const lane: PriorityLane<string> = { offer: (message) => { offered.push(message); } };
    offerPriorityLane(offering, lane);
    expect(priorityLaneOf(offering)).to.equal(lane);
    expect(priorityLaneOf(other)).to.equal(undefined);
    priorityLaneOf(offering)?.offer('first');
    expect(offered).to.deep.equal(['first']);
  });
});
