import { InvalidBlobKeyError } from './invalid-blob-key-error.js';

declare const brand: unique symbol;

/** Names a blob by its content: the hex SHA-256 of its bytes (64 lowercase hex digits). The same content has the same key. */
export type BlobKey = string & { readonly [brand]: 'BlobKey' };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** True for a well-formed blob key. */
export function isBlobKey(value: unknown): value is BlobKey {
  return typeof value === 'string' && SHA256_HEX.test(value);
}

/** The key, checked. @throws InvalidBlobKeyError when `value` is not 64 lowercase hex digits. */
export function asBlobKey(value: string): BlobKey {
  if (!isBlobKey(value)) throw new InvalidBlobKeyError(value);
  return value;
}
