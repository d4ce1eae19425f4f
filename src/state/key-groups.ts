import type { KeyGroupRange } from './state-handles.js';

/*
 * Key groups: the unit in which keyed state is partitioned, checkpointed and redistributed. A key belongs to
 * exactly one of `numberOfKeyGroups` (the job's max parallelism) groups, forever; a subtask owns a contiguous
 * range of groups, computed like Flink's KeyGroupRangeAssignment so that rescaling moves whole groups.
 */

/** The largest supported number of key groups (max parallelism), as in Flink. */
export const MAX_NUMBER_OF_KEY_GROUPS = 32768;

/** The number of key groups (max parallelism) a job has unless it says otherwise, as Flink's default for small jobs. */
export const DEFAULT_MAX_PARALLELISM = 128;

const encoder = new TextEncoder();

/**
 * A stable 32-bit hash of a key: FNV-1a over the key's UTF-8 bytes, then MurmurHash3's finalizer so that
 * every bit of the result depends on every byte. Never change it: stored state is partitioned by it.
 */
export function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  let ascii = true;
  for (let i = 0; i < key.length; i += 1) {
    const unit = key.charCodeAt(i);
    if (unit >= 0x80) {
      ascii = false;
      break;
    }
    hash = Math.imul(hash ^ unit, 0x01000193);
  }
  if (!ascii) {
    hash = 0x811c9dc5;
    for (const byte of encoder.encode(key)) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * The key group a key belongs to, in `[0, numberOfKeyGroups)`.
 * Throws a RangeError when `numberOfKeyGroups` is not an integer in `[1, MAX_NUMBER_OF_KEY_GROUPS]`.
 */
export function assignKeyGroup(key: string, numberOfKeyGroups: number): number {
  assertNumberOfKeyGroups(numberOfKeyGroups, 'assignKeyGroup: numberOfKeyGroups');
  return hashKey(key) % numberOfKeyGroups;
}

/**
 * The key groups subtask `subtaskIndex` of `parallelism` owns when the job has `maxParallelism` key groups
 * (Flink's `computeKeyGroupRangeForOperatorIndex`): contiguous, disjoint across subtasks, covering all groups.
 * Throws a RangeError when `maxParallelism`, `parallelism` or `subtaskIndex` is out of range.
 */
export function keyGroupRangeForSubtask(maxParallelism: number, parallelism: number, subtaskIndex: number): KeyGroupRange {
  assertParallelism(maxParallelism, parallelism);
  if (!Number.isSafeInteger(subtaskIndex) || subtaskIndex < 0 || subtaskIndex >= parallelism) {
    throw new RangeError(`keyGroupRangeForSubtask: subtaskIndex must be an integer in [0, ${parallelism - 1}], got ${subtaskIndex}`);
  }
  const start = Math.floor((subtaskIndex * maxParallelism + parallelism - 1) / parallelism);
  const end = Math.floor(((subtaskIndex + 1) * maxParallelism - 1) / parallelism);
  return KeyGroupRanges.of(start, end);
}

/**
 * The subtask that owns `keyGroup` (the inverse of {@link keyGroupRangeForSubtask}).
 * Throws a RangeError when an argument is out of range.
 */
export function subtaskIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  assertParallelism(maxParallelism, parallelism);
  if (!Number.isSafeInteger(keyGroup) || keyGroup < 0 || keyGroup >= maxParallelism) {
    throw new RangeError(`subtaskIndexForKeyGroup: keyGroup must be an integer in [0, ${maxParallelism - 1}], got ${keyGroup}`);
  }
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/**
 * The subtask that owns `key`: the one rule by which records are routed and keyed state is partitioned, so a keyed
 * record always reaches the subtask whose backend owns its key group.
 * Throws a RangeError when an argument is out of range.
 */
export function subtaskIndexForKey(key: string, maxParallelism: number, parallelism: number): number {
  return subtaskIndexForKeyGroup(maxParallelism, parallelism, assignKeyGroup(key, maxParallelism));
}

const EMPTY_RANGE: KeyGroupRange = Object.freeze({ start: 0, end: -1 });

/** Helpers for {@link KeyGroupRange}, an inclusive `[start, end]` that is empty when `end < start`. */
export const KeyGroupRanges = {
  /** The canonical empty range. */
  empty: EMPTY_RANGE,
  /**
   * The range `[start, end]`; the canonical empty range when `end < start`.
   * Throws a RangeError when a bound is not an integer or `start` is negative.
   */
  of(start: number, end: number): KeyGroupRange {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0) {
      throw new RangeError(`KeyGroupRanges.of: start must be a non-negative integer and end an integer, got [${start}, ${end}]`);
    }
    return end < start ? EMPTY_RANGE : Object.freeze({ start, end });
  },
  isEmpty: (range: KeyGroupRange): boolean => range.end < range.start,
  /** How many key groups the range holds. */
  size: (range: KeyGroupRange): number => Math.max(0, range.end - range.start + 1),
  contains: (range: KeyGroupRange, keyGroup: number): boolean => keyGroup >= range.start && keyGroup <= range.end,
  /** Whether every key group of `inner` is in `outer`; an empty `inner` lies inside every range. */
  covers: (outer: KeyGroupRange, inner: KeyGroupRange): boolean =>
    KeyGroupRanges.isEmpty(inner) || (inner.start >= outer.start && inner.end <= outer.end),
  /** Whether the two ranges share at least one key group. */
  overlaps: (a: KeyGroupRange, b: KeyGroupRange): boolean =>
    !KeyGroupRanges.isEmpty(a) && !KeyGroupRanges.isEmpty(b) && a.start <= b.end && b.start <= a.end,
  equals: (a: KeyGroupRange, b: KeyGroupRange): boolean =>
    (KeyGroupRanges.isEmpty(a) && KeyGroupRanges.isEmpty(b)) || (a.start === b.start && a.end === b.end),
  /** `[3, 7]`, or `[] (empty)`. */
  format: (range: KeyGroupRange): string => (KeyGroupRanges.isEmpty(range) ? '[] (empty)' : `[${range.start}, ${range.end}]`),
} as const;

/**
 * Thrown when a key belongs to a key group outside the range of the backend (on get/put/delete) or of the state
 * file it was read from (on restore): state routed to the wrong subtask, never to be used silently (FLINK-40113).
 */
export class KeyGroupOutOfRangeError extends Error {
  override readonly name = 'KeyGroupOutOfRangeError';
  constructor(
    readonly key: string,
    readonly keyGroup: number,
    readonly keyGroupRange: KeyGroupRange,
    /** Where the key was met, e.g. `backend <uuid>` or `state file <path>`. */
    readonly where: string,
  ) {
    super(
      `key ${JSON.stringify(key)} belongs to key group ${keyGroup}, outside the key-group range ${KeyGroupRanges.format(keyGroupRange)} of ${where}; ` +
        'the key was routed to the wrong subtask (check the key-group assignment after rescaling)',
    );
  }
}

/**
 * Thrown on restore when a state handle covers key groups the backend does not own, or when two handles cover
 * the same key groups: the state was assigned to the wrong subtask.
 */
export class KeyGroupRangeMismatchError extends Error {
  override readonly name = 'KeyGroupRangeMismatchError';
  constructor(
    readonly handleRange: KeyGroupRange,
    readonly backendRange: KeyGroupRange,
    readonly problem: string,
  ) {
    super(
      `cannot restore keyed state of key groups ${KeyGroupRanges.format(handleRange)} into a backend owning ${KeyGroupRanges.format(backendRange)}: ${problem}`,
    );
  }
}

/**
 * The key group of `key` after checking that it lies in `range`.
 * Throws {@link KeyGroupOutOfRangeError} naming the key, its group, the range and `where` otherwise.
 */
export function keyGroupInRange(key: string, numberOfKeyGroups: number, range: KeyGroupRange, where: string): number {
  const keyGroup = hashKey(key) % numberOfKeyGroups;
  if (keyGroup < range.start || keyGroup > range.end) throw new KeyGroupOutOfRangeError(key, keyGroup, range, where);
  return keyGroup;
}

function assertNumberOfKeyGroups(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_NUMBER_OF_KEY_GROUPS) {
    throw new RangeError(`${field} must be an integer in [1, ${MAX_NUMBER_OF_KEY_GROUPS}], got ${value}`);
  }
}

function assertParallelism(maxParallelism: number, parallelism: number): void {
  assertNumberOfKeyGroups(maxParallelism, 'maxParallelism');
  if (!Number.isSafeInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new RangeError(`parallelism must be an integer in [1, maxParallelism=${maxParallelism}], got ${parallelism}`);
  }
}
