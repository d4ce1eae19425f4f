/** Thrown when a blob key is malformed: keys are the 64 lowercase hex digits of a SHA-256 that `BlobStore.put` returned. */
export class InvalidBlobKeyError extends Error {
  override readonly name = 'InvalidBlobKeyError';
  constructor(readonly key: unknown) {
    super(`invalid blob key ${JSON.stringify(key)}: a blob key is the 64 lowercase hex digits of the content's SHA-256, as BlobStore.put returns it`);
  }
}
