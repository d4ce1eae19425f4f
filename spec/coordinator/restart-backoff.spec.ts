import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { RestartBackoff, validateRestartStrategy, type RestartDecision } from '../../src/coordinator/restart-strategy.js';

const delays = (decisions: readonly RestartDecision[]): (number | string)[] => decisions.map((decision) => (decision.restart ? decision.delayMs : decision.reason));

describe('restart backoff (pure: one decision per failure)', () => {
  it('fixed-delay restarts `attempts` times after `delay`, then gives up', () => {
    const backoff = new RestartBackoff(validateRestartStrategy({ kind: 'fixed-delay', attempts: 2, delay: 50 }, 'restartStrategy'));
    expect(delays([0, 10, 20].map((now) => backoff.onFailure(now)))).to.deep.equal([50, 50, 'fixed-delay allows 2 restarts and 3 failures happened']);
  });

  it('failure-rate forgets failures older than its interval', () => {
    const backoff = new RestartBackoff(validateRestartStrategy({ kind: 'failure-rate', maxFailuresPerInterval: 2, failureRateInterval: 100, delay: 5 }, 'restartStrategy'));
    expect(delays([0, 50, 150, 160, 170].map((now) => backoff.onFailure(now)))).to.deep.equal([
      5, 5, 5, 5, 'failure-rate allows 2 failures per 100 ms and 3 happened within 100 ms',
    ]);
  });

  it('exponential-delay grows by its multiplier up to its maximum, and gives up after attemptsBeforeResetBackoff', () => {
    const strategy = validateRestartStrategy({ kind: 'exponential-delay', initialBackoff: 10, maxBackoff: 50, backoffMultiplier: 2, jitterFactor: 0, attemptsBeforeResetBackoff: 4 }, 'restartStrategy');
    const backoff = new RestartBackoff(strategy);
    expect(delays([0, 1, 2, 3, 4].map((now) => backoff.onFailure(now)))).to.deep.equal([
      10, 20, 40, 50, 'exponential-delay allows 4 restarts before its backoff resets and 5 failures happened',
    ]);
  });

  it('exponential-delay varies each delay by at most its jitter factor, with the random source injected', () => {
    const strategy = validateRestartStrategy({ kind: 'exponential-delay', initialBackoff: 1_000, jitterFactor: 0.1 }, 'restartStrategy');
    expect(delays([new RestartBackoff(strategy, () => 0).onFailure(0), new RestartBackoff(strategy, () => 0.999_999).onFailure(0)])).to.deep.equal([900, 1_100]);
  });

  it('none never restarts', () => {
    expect(new RestartBackoff({ kind: 'none' }).onFailure(0)).to.deep.equal({ restart: false, reason: 'none allows no restart' });
  });

  it('refuses strategies it cannot honour, naming the field', () => {
    const refused = (value: unknown, message: string): void => {
      expect(() => validateRestartStrategy(value, 'CheckpointCoordinatorOptions.restartStrategy')).to.throw(InvalidOptionError, message);
    };
    refused({ kind: 'sometimes' }, 'CheckpointCoordinatorOptions.restartStrategy.kind must be one of none, fixed-delay, failure-rate, exponential-delay, got "sometimes"');
    refused({ kind: 'fixed-delay', attempts: -1, delay: 0 }, 'restartStrategy.attempts must be an integer >= 0 (or Infinity), got -1');
    refused({ kind: 'fixed-delay', attempts: 1, delay: 2 ** 31 }, 'restartStrategy.delay must be below 2147483648 ms (the longest a Node.js timer waits), got 2147483648');
    refused({ kind: 'exponential-delay', initialBackoff: 500, maxBackoff: 100 }, 'restartStrategy.maxBackoff cannot be less than its initialBackoff (500), got 100');
    refused({ kind: 'exponential-delay', jitterFactor: 2 }, 'restartStrategy.jitterFactor must be between 0 and 1, got 2');
    refused('often', 'CheckpointCoordinatorOptions.restartStrategy must be an object with a `kind`');
  });
});
