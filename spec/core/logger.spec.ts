import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { defaultLogger, validateLogger } from '../../src/core/logger.js';
import { runScript } from '../support/child-script.js';

const CHILD = new URL('./support/coordinator-with-default-logger.ts', import.meta.url);

/** The child's environment without any NODE_DEBUG of this process, plus `extra`. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const { NODE_DEBUG: _ignored, ...rest } = process.env;
  return { ...rest, ...extra };
}

describe('the default logger', () => {
  it('is quiet: a coordinator that completes a checkpoint and ignores a malformed message prints nothing', async function () {
    this.timeout(60_000);
    const outcome = await runScript(CHILD, [], 30_000, environment({}));

    expect(outcome.code, outcome.stderr).to.equal(0);
    expect(outcome.stdout).to.equal('completed\n');
    expect(outcome.stderr).to.equal('');
  });

  it('prints every level to stderr with NODE_DEBUG=nact-checkpoint', async function () {
    this.timeout(60_000);
    const outcome = await runScript(CHILD, [], 30_000, environment({ NODE_DEBUG: 'nact-checkpoint' }));

    expect(outcome.code, outcome.stderr).to.equal(0);
    const lines = outcome.stderr.trim().split('\n');
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/^NACT-CHECKPOINT \d+: debug checkpoint 1 of job quiet-job triggered \{"event":"checkpoint-triggered","jobId":"quiet-job",/);
    expect(lines[1]).to.match(/^NACT-CHECKPOINT \d+: info checkpoint 1 of job quiet-job completed in \d+ ms \(\d+ bytes\) \{/);
    expect(lines[2]).to.match(/^NACT-CHECKPOINT \d+: warn the checkpoint coordinator of job quiet-job ignored a malformed message: unknown message type 'Nonsense' \{/);
  });

});

describe('validateLogger', () => {
  it('gives the default logger when none is given, and binds the methods of the one given', () => {
    expect(validateLogger(undefined, 'Options.logger')).to.equal(defaultLogger);
    const seen: string[] = [];
    const logger = { name: 'mine', debug() {}, info() {}, error() {}, warn(this: { name: string }, _fields: object, message: string) { seen.push(`${this.name}: ${message}`); } };
    const { warn } = validateLogger(logger, 'Options.logger');
    warn({}, 'careful');
    expect(seen).to.deep.equal(['mine: careful']);
  });

  it('refuses what is not a logger, naming the field and the missing methods', () => {
    expect(() => validateLogger(null, 'Options.logger')).to.throw(InvalidOptionError, 'Options.logger must be a logger { debug, info, warn, error } (pino works), got null');
    expect(() => validateLogger({ warn: () => undefined }, 'Options.logger')).to.throw(InvalidOptionError, 'Options.logger lacks the methods debug, info, error');
  });
});
