import type { KeyGroupRange } from './state-handles.js';

declare const brand: unique symbol;

/**
 * Names one shared file in the SharedStateRegistry: the id of the keyed backend that uploaded it, the
 * key-group range that backend owned and the backend's own id for the file. Keying by backend id keeps two
 * backends (or two key-group ranges after rescaling) that use the same local file name apart, and a backend
 * restored from an incremental snapshot keeps its old id so that its placeholders resolve.
 *
 * The encoding is a plain string, so it is a cheap Map key, and it is unambiguous for any backend id and
 * handle id: `<length of backendId>:<backendId>[<start>,<end>]<handleId>`.
 */
export type SharedStateRegistryKey = string & { readonly [brand]: 'SharedStateRegistryKey' };

/** The parts a {@link SharedStateRegistryKey} was built from. */
export interface SharedStateRegistryKeyParts {
  readonly backendId: string;
  readonly keyGroupRange: KeyGroupRange;
  readonly handleId: string;
}

/**
 * Builds the registry key of a shared file.
 * Throws a RangeError when the backend id or handle id is empty or a key-group bound is not a safe integer.
 */
export function sharedStateRegistryKey(backendId: string, keyGroupRange: KeyGroupRange, handleId: string): SharedStateRegistryKey {
  if (backendId.length === 0) throw new RangeError('sharedStateRegistryKey: backendId must not be empty');
  if (handleId.length === 0) throw new RangeError(`sharedStateRegistryKey: handleId must not be empty (backend ${backendId})`);
  const { start, end } = keyGroupRange;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end)) {
    throw new RangeError(`sharedStateRegistryKey: keyGroupRange bounds must be integers, got [${start}, ${end}] (backend ${backendId}, handle ${handleId})`);
  }
  return `${backendId.length}:${backendId}[${start},${end}]${handleId}` as SharedStateRegistryKey;
}

/**
 * Splits a key back into its parts, for messages and audits.
 * Throws a RangeError when the string was not built by {@link sharedStateRegistryKey}.
 */
export function parseSharedStateRegistryKey(key: SharedStateRegistryKey): SharedStateRegistryKeyParts {
  const colon = key.indexOf(':');
  const length = colon > 0 ? Number(key.slice(0, colon)) : Number.NaN;
  const backendEnd = colon + 1 + length;
  const rangeMatch = Number.isSafeInteger(length) && length > 0 ? /^\[(-?\d+),(-?\d+)\]/.exec(key.slice(backendEnd)) : null;
  const handleId = rangeMatch === null ? '' : key.slice(backendEnd + rangeMatch[0].length);
  if (rangeMatch === null || handleId.length === 0) {
    throw new RangeError(`'${key}' is not a shared state registry key (expected <length>:<backendId>[<start>,<end>]<handleId>)`);
  }
  return {
    backendId: key.slice(colon + 1, backendEnd),
    keyGroupRange: { start: Number(rangeMatch[1]), end: Number(rangeMatch[2]) },
    handleId,
  };
}

/** A readable description of a key for error messages: `backend <id>, key groups [<start>, <end>], handle <id>`. */
export function describeSharedStateRegistryKey(key: SharedStateRegistryKey): string {
  try {
    const { backendId, keyGroupRange, handleId } = parseSharedStateRegistryKey(key);
    return `backend ${backendId}, key groups [${keyGroupRange.start}, ${keyGroupRange.end}], handle ${handleId}`;
  } catch {
    return `'${key}'`;
  }
}
