import { expect } from 'chai';
import fc from 'fast-check';
import {
  assignKeyGroup,
  hashKey,
  KeyGroupOutOfRangeError,
  KeyGroupRanges,
  keyGroupInRange,
  keyGroupRangeForSubtask,
  subtaskIndexForKeyGroup,
} from '../../src/state/key-groups.js';

describe('key groups', () => {
  describe('assignKeyGroup', () => {
    it('hashes keys with a fixed function, so stored state keeps its key groups across releases', () => {
      // FNV-1a over UTF-8 followed by MurmurHash3's fmix32; values checked against an independent implementation.
      expect(hashKey('')).to.equal(2872998923);
      expect(hashKey('a')).to.equal(444641715);
      expect(hashKey('user-42')).to.equal(2083131798);
      expect(hashKey('ключ')).to.equal(2594288994);
      expect(hashKey('🔑')).to.equal(1825618928);
      expect(assignKeyGroup('user-42', 128)).to.equal(22);
      expect(assignKeyGroup('🔑', 128)).to.equal(112);
    });

    it('puts every key into one of the key groups, the same one every time', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 32768 }), (key, numberOfKeyGroups) => {
          const keyGroup = assignKeyGroup(key, numberOfKeyGroups);
          expect(keyGroup).to.be.within(0, numberOfKeyGroups - 1);
          expect(assignKeyGroup(key, numberOfKeyGroups)).to.equal(keyGroup);
        }),
      );
    });

    it('spreads similar keys evenly over the key groups', () => {
      const counts = new Array<number>(128).fill(0);
      for (let i = 0; i < 12_800; i += 1) {
        const keyGroup = assignKeyGroup(`key-${i}`, 128);
        counts[keyGroup] = (counts[keyGroup] ?? 0) + 1;
      }
      expect(Math.min(...counts)).to.be.greaterThan(50);
      expect(Math.max(...counts)).to.be.lessThan(150);
    });

    it('refuses a number of key groups outside [1, 32768]', () => {
      expect(() => assignKeyGroup('k', 0)).to.throw(RangeError, 'assignKeyGroup: numberOfKeyGroups must be an integer in [1, 32768], got 0');
      expect(() => assignKeyGroup('k', 32769)).to.throw(RangeError, 'got 32769');
    });
  });

  describe('keyGroupRangeForSubtask', () => {
    it('splits 128 key groups over 3 subtasks like Flink', () => {
      expect(keyGroupRangeForSubtask(128, 3, 0)).to.deep.equal({ start: 0, end: 42 });
      expect(keyGroupRangeForSubtask(128, 3, 1)).to.deep.equal({ start: 43, end: 85 });
      expect(keyGroupRangeForSubtask(128, 3, 2)).to.deep.equal({ start: 86, end: 127 });
    });

    it('gives subtasks contiguous, disjoint ranges that cover every key group, and finds the owner of each group', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 1024 }).chain((maxParallelism) => fc.tuple(fc.constant(maxParallelism), fc.integer({ min: 1, max: maxParallelism }))),
          ([maxParallelism, parallelism]) => {
            let next = 0;
            for (let subtask = 0; subtask < parallelism; subtask += 1) {
              const range = keyGroupRangeForSubtask(maxParallelism, parallelism, subtask);
              expect(range.start).to.equal(next);
              expect(KeyGroupRanges.size(range)).to.be.greaterThan(0);
              expect(subtaskIndexForKeyGroup(maxParallelism, parallelism, range.start)).to.equal(subtask);
              expect(subtaskIndexForKeyGroup(maxParallelism, parallelism, range.end)).to.equal(subtask);
              next = range.end + 1;
            }
            expect(next).to.equal(maxParallelism);
          },
        ),
      );
    });

    it('refuses a subtask index, parallelism or max parallelism out of range, naming it', () => {
      expect(() => keyGroupRangeForSubtask(128, 3, 3)).to.throw(RangeError, 'subtaskIndex must be an integer in [0, 2], got 3');
      expect(() => keyGroupRangeForSubtask(128, 129, 0)).to.throw(RangeError, 'parallelism must be an integer in [1, maxParallelism=128], got 129');
      expect(() => keyGroupRangeForSubtask(0, 1, 0)).to.throw(RangeError, 'maxParallelism must be an integer in [1, 32768], got 0');
      expect(() => subtaskIndexForKeyGroup(128, 3, 128)).to.throw(RangeError, 'keyGroup must be an integer in [0, 127], got 128');
    });
  });

  describe('KeyGroupRanges', () => {
    it('treats a range whose end lies before its start as the empty range', () => {
      const empty = KeyGroupRanges.of(5, 4);
      expect(empty).to.equal(KeyGroupRanges.empty);
      expect(KeyGroupRanges.isEmpty(empty)).to.equal(true);
      expect(KeyGroupRanges.size(empty)).to.equal(0);
      expect(KeyGroupRanges.contains(empty, 0)).to.equal(false);
      expect(KeyGroupRanges.format(empty)).to.equal('[] (empty)');
    });

    it('answers size, contains, covers and overlaps for inclusive ranges', () => {
      const range = KeyGroupRanges.of(3, 7);
      expect(KeyGroupRanges.size(range)).to.equal(5);
      expect(KeyGroupRanges.contains(range, 3)).to.equal(true);
      expect(KeyGroupRanges.contains(range, 7)).to.equal(true);
      expect(KeyGroupRanges.contains(range, 8)).to.equal(false);
      expect(KeyGroupRanges.covers(range, KeyGroupRanges.of(4, 7))).to.equal(true);
      expect(KeyGroupRanges.covers(range, KeyGroupRanges.of(2, 7))).to.equal(false);
      expect(KeyGroupRanges.covers(range, KeyGroupRanges.empty)).to.equal(true);
      expect(KeyGroupRanges.overlaps(range, KeyGroupRanges.of(7, 9))).to.equal(true);
      expect(KeyGroupRanges.overlaps(range, KeyGroupRanges.of(8, 9))).to.equal(false);
      expect(KeyGroupRanges.overlaps(range, KeyGroupRanges.empty)).to.equal(false);
      expect(KeyGroupRanges.format(range)).to.equal('[3, 7]');
    });

    it('refuses a negative start or a bound that is not an integer', () => {
      expect(() => KeyGroupRanges.of(-1, 3)).to.throw(RangeError, 'KeyGroupRanges.of: start must be a non-negative integer and end an integer, got [-1, 3]');
      expect(() => KeyGroupRanges.of(0, 1.5)).to.throw(RangeError, 'got [0, 1.5]');
    });
  });

  describe('keyGroupInRange', () => {
    it('returns the key group of a key inside the range', () => {
      expect(keyGroupInRange('user-42', 128, KeyGroupRanges.of(0, 63), 'backend b')).to.equal(22);
    });

    it('fails loudly with the key, its group and the range when the key lies outside', () => {
      const attempt = (): number => keyGroupInRange('user-42', 128, KeyGroupRanges.of(64, 127), 'backend b');
      expect(attempt).to.throw(KeyGroupOutOfRangeError, 'key "user-42" belongs to key group 22, outside the key-group range [64, 127] of backend b');
      try {
        attempt();
      } catch (error) {
        expect(error).to.include({ name: 'KeyGroupOutOfRangeError', key: 'user-42', keyGroup: 22, where: 'backend b' });
        expect((error as KeyGroupOutOfRangeError).keyGroupRange).to.deep.equal({ start: 64, end: 127 });
      }
    });
  });
});
