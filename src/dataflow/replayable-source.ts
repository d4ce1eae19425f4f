/** What a source read returned: the records from the requested offset on, and whether the input ends after them. */
export interface SourceRead<T> {
  readonly records: readonly T[];
  readonly end: boolean;
}

/**
 * A source that can rewind (Flink's replayable source, a Kafka partition for instance): reading at an offset returns
 * the same records every time. The source task's checkpointed state is its offset, so a restore replays exactly the
 * records after the checkpoint.
 */
export interface ReplayableSource<T> {
  /** Reads at most `max` records starting at `offset` (0 is the beginning). */
  read(offset: number, max: number): SourceRead<T>;
}

/** Builds the source of one subtask. */
export type SourceFactory<T> = (subtask: number, parallelism: number) => ReplayableSource<T>;

/** A source over a fixed array: subtask `i` of `p` reads the items at indexes `i`, `i + p`, `i + 2p`, ... */
export function fromArray<T>(items: readonly T[]): SourceFactory<T> {
  return (subtask, parallelism) => {
    const mine = items.filter((_, index) => index % parallelism === subtask);
    return {
      read: (offset, max) => ({ records: mine.slice(offset, offset + max), end: offset + max >= mine.length }),
    };
  };
}
