import type { CheckpointId } from '../core/ids.js';
import { describeSharedStateRegistryKey, type SharedStateRegistryKey } from './shared-state-registry-key.js';

/** What was being done with the unknown key. */
export const SharedStateOperation = {
  /** A checkpoint sent a placeholder for a file no registered checkpoint uploaded. */
  RESOLVE_PLACEHOLDER: 'resolve-placeholder',
  /** A checkpoint was unregistered from a key the registry does not hold. */
  UNREGISTER: 'unregister',
} as const;
export type SharedStateOperation = (typeof SharedStateOperation)[keyof typeof SharedStateOperation];

/**
 * Thrown by the SharedStateRegistry when a key it does not hold is used: a placeholder that resolves to
 * nothing (the file was discarded, or the backend was restored under a different backend id), or an
 * unregistration of a key that was never registered or is already gone.
 */
export class UnknownSharedStateError extends Error {
  override readonly name = 'UnknownSharedStateError';

  constructor(
    readonly key: SharedStateRegistryKey,
    readonly checkpointId: CheckpointId,
    readonly operation: SharedStateOperation,
  ) {
    super(
      operation === SharedStateOperation.RESOLVE_PLACEHOLDER
        ? `checkpoint ${checkpointId} refers to shared state ${describeSharedStateRegistryKey(key)} by placeholder, but no registered checkpoint holds that file (key '${key}'); the backend must upload it again or restore with its original backend id`
        : `checkpoint ${checkpointId} cannot be unregistered from shared state ${describeSharedStateRegistryKey(key)}: the registry holds no such key (key '${key}'); was it unregistered twice or never registered?`,
    );
  }
}
