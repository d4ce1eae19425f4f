/** Which copy of a blob a {@link BlobCorruptedError} is about. */
export const BlobCopy = {
  LOCAL: 'local',
  HA: 'ha',
} as const;
export type BlobCopy = (typeof BlobCopy)[keyof typeof BlobCopy];

/**
 * Data corruption: a copy of a blob does not hash to its key. Thrown for the HA copy (nothing else can repair it:
 * put the content again, or restore the HA copy from a backup) and for a local copy when there is no HA copy to
 * fetch it from again. The corrupted local copy has been deleted.
 */
export class BlobCorruptedError extends Error {
  override readonly name = 'BlobCorruptedError';
  constructor(
    readonly jobId: string,
    readonly key: string,
    readonly copy: BlobCopy,
    /** The file, directory or database holding the corrupted copy. */
    readonly location: string,
    readonly problem: string,
  ) {
    super(
      `data corruption: the ${copy === BlobCopy.HA ? 'HA' : 'local'} copy of blob ${key} of job ${jobId} in ${location} is corrupted (${problem}); ` +
        (copy === BlobCopy.HA ? 'put the content again or restore the HA copy from a backup' : 'it was deleted and there is no HA copy to fetch it from: put the content again'),
    );
  }
}
