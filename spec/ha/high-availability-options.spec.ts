import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { createHighAvailabilityServices } from '../../src/ha/high-availability-services.js';
import type { HighAvailabilityOptions } from '../../src/ha/high-availability-options.js';
import { rejectionOf } from '../support/rejection-of.js';

describe('createHighAvailabilityServices options', () => {
  const cases: readonly [string, unknown, string][] = [
    ['an unknown mode', { mode: 'zookeeper' }, "HighAvailabilityOptions.mode must be one of 'none', 'filesystem', 'postgres', got \"zookeeper\""],
    ['a lease of 0 ms', { mode: 'none', leaseDuration: 0 }, 'HighAvailabilityOptions.leaseDuration must be an integer >= 1, got 0'],
    ['renewals as slow as the lease', { mode: 'none', leaseDuration: 1_000, renewInterval: 1_000 }, 'HighAvailabilityOptions.renewInterval must be less than leaseDuration (1000), got 1000'],
    ['a filesystem mode without a directory', { mode: 'filesystem' }, 'HighAvailabilityOptions.directory must be a non-empty path, got undefined'],
    ['a negative lock timeout', { mode: 'filesystem', directory: '/tmp/x', lockTimeout: -1 }, 'HighAvailabilityOptions.lockTimeout must be an integer >= 0, got -1'],
    ['a postgres mode with neither connection string nor pool', { mode: 'postgres' }, 'HighAvailabilityOptions.connectionString or HighAvailabilityOptions.pool must be given (exactly one of them), got neither'],
    ['a schema that is not a plain SQL identifier', { mode: 'postgres', connectionString: 'postgres://x', schema: 'a"; DROP TABLE x; --' },
      'HighAvailabilityOptions.schema must be 1 to 40 lowercase letters, digits or \'_\', starting with a letter or \'_\', got "a\\"; DROP TABLE x; --"'],
  ];
  for (const [what, options, message] of cases) {
    it(`refuses ${what}, naming the field`, async () => {
      const error = await rejectionOf(createHighAvailabilityServices(options as HighAvailabilityOptions));
      expect(error).to.be.instanceOf(InvalidOptionError);
      expect(error.message).to.equal(message);
    });
  }

  it('refuses a job id that cannot name a job, naming the field', async () => {
    const services = await createHighAvailabilityServices({ mode: 'none' });
    try {
      expect(() => services.checkpointRecovery('')).to.throw(InvalidOptionError, 'jobId must be 1 to 200 letters');
    } finally {
      await services.close();
    }
  });

  it('refuses to hand anything out after close', async () => {
    const services = await createHighAvailabilityServices({ mode: 'none' });
    await services.close();
    expect(() => services.createLeaderElection('cluster')).to.throw(Error, 'the high-availability services (memory) were closed; create new ones');
  });
});
