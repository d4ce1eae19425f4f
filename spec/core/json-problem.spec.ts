import { expect } from 'chai';
import { findJsonProblem } from '../../src/core/json-problem.js';

describe('findJsonProblem', () => {
  it('passes every value JSON keeps as it is, shared references included', () => {
    const shared = { x: 1 };
    for (const value of [null, true, 0, -1.5, '', 'text', [], {}, [1, 'a', null, [{}]], { a: { b: [1, 2] }, 'odd key': 'x' }, { left: shared, right: shared }, Object.create(null)]) {
      expect(findJsonProblem(value), JSON.stringify(value)).to.equal(null);
    }
  });

  it('names the path of the first value JSON would change or drop', () => {
    class Point { constructor(readonly x: number) {} }
    const table: ReadonlyArray<readonly [unknown, string]> = [
      [undefined, '$ is undefined'],
      [{ 'a key': { list: [0, Number.NEGATIVE_INFINITY] } }, '$["a key"].list[1] is -Infinity'],
      [{ set: new Set([1]) }, '$.set is a Set'],
      [{ point: new Point(1) }, '$.point is a Point'],
      [{ [Symbol('hidden')]: 1 }, '$ has a symbol key'],
      [[[[Symbol.iterator]]], '$[0][0][0] is a symbol'],
    ];
    for (const [value, problem] of table) expect(findJsonProblem(value)).to.equal(problem);
  });

  it('names a cycle and where it leads back to, under the root name given', () => {
    const node: { next?: unknown; label: string } = { label: 'a' };
    node.next = { label: 'b', back: [node] };
    expect(findJsonProblem(node, 'state')).to.equal('state.next.back[0] is a cycle back to state');
  });

  it('names a cycle back to an ancestor below the root by that ancestor\'s path', () => {
    const inner: { c?: unknown } = {};
    const middle = { b: inner };
    inner.c = [1, middle];
    expect(findJsonProblem({ list: [0, { a: middle }] })).to.equal('$.list[1].a.b.c[1] is a cycle back to $.list[1].a');
  });
});
