import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { tell } from '../../src/actor/typed-ref.js';
import { asCheckpointId } from '../../src/core/ids.js';
import { createCheckpointMetrics, PromClientNotInstalledError } from '../../src/prometheus/index.js';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { CoordinatorHarness } from '../support/coordinator-harness.js';

/** Serves the registry on an ephemeral port of the loopback interface, as an application's /metrics would. */
async function serve(registry: Registry): Promise<{ readonly url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/metrics`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The value of one sample line, e.g. `nact_checkpoint_numberOfCompletedCheckpoints{job_id="job-1"} 2`. */
function sample(scrape: string, name: string, labels = 'job_id="job-1"'): number | undefined {
  const line = scrape.split('\n').find((each) => each.startsWith(`${name}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Prometheus metrics (nact-checkpoint/prometheus)', () => {
  let h: CoordinatorHarness;
  beforeEach(() => {
    h = new CoordinatorHarness();
  });
  afterEach(() => h.dispose());

  it("exports Flink's checkpoint metrics and a duration histogram, scraped over a real HTTP request", async () => {
    const registry = new Registry();
    const metrics = await createCheckpointMetrics({ registry });
    await h.spawn({ startScheduler: false, tolerableFailures: 5, onEvent: metrics.onEvent });
    h.tasks.answer('sink', 'stay-silent');
    const first = h.triggerNow();
    await h.settle();
    await h.advance(250);
    const { jobId, attemptId } = h.tasks.current('sink');
    tell(h.coordinator, { type: 'AcknowledgeCheckpoint', jobId, taskId: h.tasks.current('sink').taskId, attemptId, checkpointId: asCheckpointId(1), state: { operatorState: { kind: 'inline', value: 'x' }, keyedState: [] } });
    await first;
    h.tasks.answer('sink', 'decline');
    await h.triggerNow();
    h.tasks.answer('sink', 'stay-silent');
    void h.triggerNow();
    await h.advance(10);
    await h.restore();
    await h.settle();
    const server = await serve(registry);
    try {
      const response = await fetch(server.url);
      const scrape = await response.text();

      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal(registry.contentType);
      expect(sample(scrape, 'nact_checkpoint_totalNumberOfCheckpoints')).to.equal(3);
      expect(sample(scrape, 'nact_checkpoint_numberOfCompletedCheckpoints')).to.equal(1);
      // Checkpoint 2 declined; checkpoint 3 was pending when the restore aborted it.
      expect(sample(scrape, 'nact_checkpoint_numberOfFailedCheckpoints')).to.equal(2);
      expect(sample(scrape, 'nact_checkpoint_numberOfInProgressCheckpoints')).to.equal(0);
      expect(sample(scrape, 'nact_checkpoint_lastCompletedCheckpointId')).to.equal(1);
      expect(sample(scrape, 'nact_checkpoint_lastCheckpointDuration')).to.equal(250);
      expect(sample(scrape, 'nact_checkpoint_lastCheckpointFullSize')).to.equal(JSON.stringify('source@1').length + JSON.stringify('x').length);
      expect(sample(scrape, 'nact_checkpoint_lastCheckpointSize')).to.equal(JSON.stringify('source@1').length + JSON.stringify('x').length);
      expect(sample(scrape, 'nact_checkpoint_numberOfRestores')).to.equal(1);
      expect(sample(scrape, 'nact_checkpoint_lastCheckpointRestoreTimestamp')).to.equal(1_260);
      expect(sample(scrape, 'nact_checkpoint_checkpoint_duration_seconds_bucket', 'le="0.1",job_id="job-1",kind="checkpoint"')).to.equal(0);
      expect(sample(scrape, 'nact_checkpoint_checkpoint_duration_seconds_bucket', 'le="0.25",job_id="job-1",kind="checkpoint"')).to.equal(1);
      expect(sample(scrape, 'nact_checkpoint_checkpoint_duration_seconds_count', 'job_id="job-1",kind="checkpoint"')).to.equal(1);
      expect(scrape).to.include('# TYPE nact_checkpoint_numberOfCompletedCheckpoints counter');
      expect(scrape).to.include('# TYPE nact_checkpoint_lastCheckpointDuration gauge');
      expect(scrape).to.include('# TYPE nact_checkpoint_checkpoint_duration_seconds histogram');
    } finally {
      await server.close();
    }
  });

  it('counts the restart and tracks checkpoints in progress while they are', async () => {
    const registry = new Registry();
    const metrics = await createCheckpointMetrics({ registry, prefix: 'app_' });
    await h.spawn({ startScheduler: false, onEvent: metrics.onEvent });
    h.tasks.answer('sink', 'stay-silent');
    void h.triggerNow();
    await h.settle();

    expect(sample(await registry.metrics(), 'app_numberOfInProgressCheckpoints')).to.equal(1);
    const { jobId, attemptId, taskId } = h.tasks.current('source');
    tell(h.coordinator, { type: 'TaskFailed', jobId, taskId, attemptId, error: 'boom' });
    await h.settle();
    const scrape = await registry.metrics();
    expect(sample(scrape, 'app_numRestarts')).to.equal(1);
    expect(sample(scrape, 'app_numberOfInProgressCheckpoints')).to.equal(0);
  });

  it('says how to install prom-client when it is missing, and checks its options', async () => {
    const missing = async (): Promise<never> => { throw Object.assign(new Error("Cannot find package 'prom-client'"), { code: 'ERR_MODULE_NOT_FOUND' }); };

    const error = await createCheckpointMetrics({ importPromClient: missing }).then(() => null, (rejection: unknown) => rejection);

    expect(error).to.be.instanceOf(PromClientNotInstalledError);
    expect((error as Error).message).to.equal("nact-checkpoint/prometheus needs the 'prom-client' package, an optional peer dependency of nact-checkpoint: run `npm install prom-client`");
    expect((error as Error).name).to.equal('PromClientNotInstalledError');
    await createCheckpointMetrics({ prefix: 'bad-prefix' }).then(() => expect.fail('accepted'), (rejection: unknown) => expect(rejection).to.be.instanceOf(InvalidOptionError));
    await createCheckpointMetrics({ durationBuckets: [1, 0.5] }).then(() => expect.fail('accepted'), (rejection: unknown) => expect(rejection).to.be.instanceOf(InvalidOptionError));
  });
});
