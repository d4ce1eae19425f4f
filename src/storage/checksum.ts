import { createHash } from 'node:crypto';

/** Hex SHA-256 of the bytes: the checksum every stored file and metadata record carries. */
export function checksumOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
