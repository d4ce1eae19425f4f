import { InvalidOptionError } from '../core/invalid-option-error.js';
import { MAX_TIMER_DELAY_MS } from '../core/timer-limits.js';

/**
 * How the coordinator restarts the job after a failure (Flink's `restart-strategy`): a task that failed, a restore that
 * threw, or checkpoint failures beyond `tolerableFailures`. Failures that happen while a restart is pending join it.
 * When the strategy gives up, the job ends FAILED.
 */
export type RestartStrategy =
  /** Never restart: the first failure fails the job. */
  | { readonly kind: 'none' }
  /** Restart after `delay` ms, at most `attempts` times in the job's life (Infinity for no limit). */
  | { readonly kind: 'fixed-delay'; readonly attempts: number; readonly delay: number }
  /** Restart after `delay` ms, unless more than `maxFailuresPerInterval` failures fell within the last `failureRateInterval` ms. */
  | { readonly kind: 'failure-rate'; readonly maxFailuresPerInterval: number; readonly failureRateInterval: number; readonly delay: number }
  /**
   * Restart after a backoff that starts at `initialBackoff` and grows by `backoffMultiplier` up to `maxBackoff`, each
   * varied by up to `jitterFactor` of itself; after `resetBackoffThreshold` ms without a failure it starts over. Gives
   * up after `attemptsBeforeResetBackoff` restarts without such a reset. Flink's default since 1.19.
   */
  | {
    readonly kind: 'exponential-delay';
    readonly initialBackoff: number;
    readonly maxBackoff: number;
    readonly backoffMultiplier: number;
    readonly resetBackoffThreshold: number;
    readonly jitterFactor: number;
    readonly attemptsBeforeResetBackoff: number;
  };

/** A restart strategy as a user may write it: the exponential-delay fields not given take Flink's defaults. */
export type RestartStrategyOption =
  | Exclude<RestartStrategy, { readonly kind: 'exponential-delay' }>
  | ({ readonly kind: 'exponential-delay' } & Partial<Omit<Extract<RestartStrategy, { readonly kind: 'exponential-delay' }>, 'kind'>>);

/** Flink's exponential-delay defaults: 1 s initial backoff, 1 min at most, x1.5, 10% jitter, reset after 1 h without failure. */
export const DEFAULT_RESTART_STRATEGY: RestartStrategy = Object.freeze({
  kind: 'exponential-delay',
  initialBackoff: 1_000,
  maxBackoff: 60_000,
  backoffMultiplier: 1.5,
  resetBackoffThreshold: 3_600_000,
  jitterFactor: 0.1,
  attemptsBeforeResetBackoff: Number.POSITIVE_INFINITY,
});

/** What the strategy says about one failure. `attempt` counts the restarts its decision allows so far. */
export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly attempt: number }
  | { readonly restart: false; readonly reason: string };

function number(value: Record<string, unknown>, field: string, key: string, rule: { min: number; integer?: boolean; infinity?: boolean; timer?: boolean }): number {
  const raw = value[key];
  const ok = typeof raw === 'number' && !Number.isNaN(raw) && raw >= rule.min
    && (raw === Number.POSITIVE_INFINITY ? rule.infinity === true : Number.isFinite(raw) && (rule.integer !== true || Number.isSafeInteger(raw)));
  if (!ok) {
    const what = `${rule.integer === true ? 'an integer' : 'a number'} >= ${rule.min}${rule.infinity === true ? ' (or Infinity)' : ''}`;
    throw new InvalidOptionError(`${field}.${key}`, `must be ${what}, got ${String(raw)}`);
  }
  if (rule.timer === true && raw > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionError(`${field}.${key}`, `must be below ${MAX_TIMER_DELAY_MS + 1} ms (the longest a Node.js timer waits), got ${raw}`);
  }
  return raw as number;
}

/**
 * Checks a restart strategy option and fills in defaults.
 * @throws InvalidOptionError naming the first invalid field.
 */
export function validateRestartStrategy(value: unknown, field: string): RestartStrategy {
  if (value === undefined) return DEFAULT_RESTART_STRATEGY;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionError(field, 'must be an object with a `kind`: none, fixed-delay, failure-rate or exponential-delay');
  const option = value as Record<string, unknown>;
  const delay = { min: 0, integer: true, timer: true } as const;
  switch (option.kind) {
    case 'none':
      return { kind: 'none' };
    case 'fixed-delay':
      return { kind: 'fixed-delay', attempts: number(option, field, 'attempts', { min: 0, integer: true, infinity: true }), delay: number(option, field, 'delay', delay) };
    case 'failure-rate':
      return {
        kind: 'failure-rate',
        maxFailuresPerInterval: number(option, field, 'maxFailuresPerInterval', { min: 1, integer: true }),
        failureRateInterval: number(option, field, 'failureRateInterval', { min: 1, integer: true }),
        delay: number(option, field, 'delay', delay),
      };
    case 'exponential-delay': {
      const defaults = DEFAULT_RESTART_STRATEGY as Extract<RestartStrategy, { readonly kind: 'exponential-delay' }>;
      const filled: Record<string, unknown> = { ...defaults, ...Object.fromEntries(Object.entries(option).filter(([, v]) => v !== undefined)) };
      const strategy: RestartStrategy = {
        kind: 'exponential-delay',
        initialBackoff: number(filled, field, 'initialBackoff', { ...delay, min: 1 }),
        maxBackoff: number(filled, field, 'maxBackoff', { ...delay, min: 1 }),
        backoffMultiplier: number(filled, field, 'backoffMultiplier', { min: 1 }),
        resetBackoffThreshold: number(filled, field, 'resetBackoffThreshold', { min: 1, integer: true }),
        jitterFactor: number(filled, field, 'jitterFactor', { min: 0 }),
        attemptsBeforeResetBackoff: number(filled, field, 'attemptsBeforeResetBackoff', { min: 1, integer: true, infinity: true }),
      };
      if (strategy.jitterFactor > 1) throw new InvalidOptionError(`${field}.jitterFactor`, `must be between 0 and 1, got ${strategy.jitterFactor}`);
      if (strategy.maxBackoff < strategy.initialBackoff) {
        throw new InvalidOptionError(`${field}.maxBackoff`, `cannot be less than its initialBackoff (${strategy.initialBackoff}), got ${strategy.maxBackoff}`);
      }
      return strategy;
    }
    default:
      throw new InvalidOptionError(`${field}.kind`, `must be one of none, fixed-delay, failure-rate, exponential-delay, got ${JSON.stringify(option.kind)}`);
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * Applies a restart strategy to the job's failures, one decision per failure. Pure apart from its own history and the
 * injected `random` (jitter only); time comes from the caller.
 */
export class RestartBackoff {
  private failures = 0;
  private restarts = 0;
  private readonly failureTimes: number[] = [];
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private nextBackoff = 0;
  private restartsSinceReset = 0;

  constructor(private readonly strategy: RestartStrategy, private readonly random: () => number = Math.random) {
    if (strategy.kind === 'exponential-delay') this.nextBackoff = strategy.initialBackoff;
  }

  /** Records a failure at `now` and says whether, and after how long, the job restarts. */
  onFailure(now: number): RestartDecision {
    this.failures += 1;
    const strategy = this.strategy;
    switch (strategy.kind) {
      case 'none':
        return { restart: false, reason: 'none allows no restart' };
      case 'fixed-delay':
        if (this.failures > strategy.attempts) {
          return { restart: false, reason: `fixed-delay allows ${plural(strategy.attempts, 'restart')} and ${plural(this.failures, 'failure')} happened` };
        }
        return this.restartAfter(strategy.delay);
      case 'failure-rate': {
        this.failureTimes.push(now);
        while ((this.failureTimes[0] as number) <= now - strategy.failureRateInterval) this.failureTimes.shift();
        if (this.failureTimes.length > strategy.maxFailuresPerInterval) {
          return {
            restart: false,
            reason: `failure-rate allows ${plural(strategy.maxFailuresPerInterval, 'failure')} per ${strategy.failureRateInterval} ms and ${this.failureTimes.length} happened within ${strategy.failureRateInterval} ms`,
          };
        }
        return this.restartAfter(strategy.delay);
      }
      case 'exponential-delay': {
        if (now - this.lastFailureAt >= strategy.resetBackoffThreshold) {
          this.nextBackoff = strategy.initialBackoff;
          this.restartsSinceReset = 0;
        }
        this.lastFailureAt = now;
        if (this.restartsSinceReset >= strategy.attemptsBeforeResetBackoff) {
          return {
            restart: false,
            reason: `exponential-delay allows ${plural(strategy.attemptsBeforeResetBackoff, 'restart')} before its backoff resets and ${plural(this.restartsSinceReset + 1, 'failure')} happened`,
          };
        }
        this.restartsSinceReset += 1;
        const backoff = this.nextBackoff;
        this.nextBackoff = Math.min(strategy.maxBackoff, backoff * strategy.backoffMultiplier);
        const jitter = strategy.jitterFactor === 0 ? 0 : (this.random() * 2 - 1) * strategy.jitterFactor * backoff;
        return this.restartAfter(Math.max(0, Math.min(MAX_TIMER_DELAY_MS, Math.round(backoff + jitter))));
      }
    }
  }

  private restartAfter(delayMs: number): RestartDecision {
    this.restarts += 1;
    return { restart: true, delayMs, attempt: this.restarts };
  }
}
