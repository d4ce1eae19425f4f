const PATH_SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * True for an id that may name a directory on its own: 1 to 200 letters, digits, `.`, `_`, `-`, starting with a letter
 * or digit (so never `.`, `..`, a hidden name or a path). The one rule for job and task ids, HA scopes and blob jobs.
 */
export function isPathSafeId(id: unknown): id is string {
  return typeof id === 'string' && PATH_SAFE_ID.test(id);
}
