import { expect } from 'chai';
import { validateBlobStoreOptions, type BlobStoreOptions } from '../../src/blob/blob-store-options.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';

describe('BlobStoreOptions', () => {
  const valid: BlobStoreOptions = { localDirectory: '/var/blobs' };

  it('fills in the defaults', () => {
    expect(validateBlobStoreOptions(valid)).to.deep.include({ haCopy: null, fetchRetries: 5, initialRetryBackoff: 100, maxRetryBackoff: 10_000, isJobRunning: null });
  });

  for (const [options, message] of [
    [{ localDirectory: '' }, 'BlobStoreOptions.localDirectory must be a non-empty directory path, got ""'],
    [{ ...valid, fetchRetries: -1 }, 'BlobStoreOptions.fetchRetries must be an integer >= 0, got -1'],
    [{ ...valid, fetchRetries: 1.5 }, 'BlobStoreOptions.fetchRetries must be an integer >= 0, got 1.5'],
    [{ ...valid, initialRetryBackoff: 500, maxRetryBackoff: 100 }, 'BlobStoreOptions.maxRetryBackoff cannot be less than its initialRetryBackoff (500), got 100'],
    [{ ...valid, haCopy: {} as never }, 'BlobStoreOptions.haCopy must be a BlobHaCopy (put, read, delete, deleteJob) or null'],
    [{ ...valid, isJobRunning: 'yes' as never }, 'BlobStoreOptions.isJobRunning must be a function'],
  ] as const) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      expect(() => validateBlobStoreOptions(options as BlobStoreOptions)).to.throw(InvalidOptionError, message);
    });
  }
});
