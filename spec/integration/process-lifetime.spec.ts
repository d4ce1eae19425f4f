import { expect } from 'chai';
import { runScript } from '../support/child-script.js';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';

const script = (name: string): URL => new URL(`./support/processes/${name}.ts`, import.meta.url);

describe('process lifetime: nothing exits under the user\'s feet', () => {
  it('keeps a process that runs only a coordinator alive while its scheduler runs, and lets it exit once the coordinator is shut down', async () => {
    const outcome = await runScript(script('coordinator-only'), ['shutdown']);
    expect(outcome.stderr).to.equal('');
    expect(outcome.timedOut, 'still running 30 s after the shutdown').to.equal(false);
    expect(outcome.stdout).to.equal('completed 3 checkpoints\nshut down\n');
    expect(outcome.code).to.equal(0);
  });

  it('lets a process exit once the coordinator\'s actor system is stopped, without waiting for its timers', async () => {
    const outcome = await runScript(script('coordinator-only'), ['stop-system'], 20_000);
    expect(outcome.timedOut, 'still running 20 s after the actor system stopped').to.equal(false);
    expect(outcome.stdout).to.equal('completed 3 checkpoints\n');
    expect(outcome.code).to.equal(0);
  });

  it('keeps the process alive while prepareCheckpointing waits for a deletion to be retried', async () => {
    const directory = await createTemporaryDirectory();
    try {
      const outcome = await runScript(script('prepare-with-retried-deletion'), [directory]);
      expect(outcome.stderr).to.equal('');
      expect(outcome.stdout).to.equal('prepared: retained 2\n');
      expect(outcome.code).to.equal(0);
    } finally {
      await removeTemporaryDirectory(directory);
    }
  });
});
