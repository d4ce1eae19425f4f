const PATH_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * True for an id that may name a directory on its own: letters, digits, `.`, `_`, `-`, starting with a letter or
 * digit (so never `.`, `..`, a hidden name or a path). The same rule the coordinator applies to job and task ids.
 */
export function isPathSafeId(id: unknown): id is string {
  return typeof id === 'string' && PATH_SAFE_ID.test(id);
}
