/**
 * Thrown inside a dataflow task when a record on a key-by edge has no key: its key path finds nothing in it, or its key
 * selector kind returns something other than a string. The task fails (and the job rewinds to its latest checkpoint),
 * so records are never routed by a made-up key.
 */
export class RecordKeyError extends Error {
  override readonly name = 'RecordKeyError';
  constructor(
    /** The producing vertex of the edge. */
    readonly from: string,
    /** The consuming vertex of the edge. */
    readonly to: string,
    /** The key path (`$.customer`) or key selector kind (`selector 'customer'`) of the edge. */
    readonly keyBy: string,
    /** The record, as JSON text cut to 200 characters. */
    readonly record: string,
    problem: string,
  ) {
    super(`a record from '${from}' to '${to}' ${problem} (key by ${keyBy}; record: ${record}); every record on a key-by edge needs a key: fix the producer, or key the edge by another path or selector`);
  }
}

/** A record as short JSON text for error messages. */
export function describeRecord(record: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record);
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
