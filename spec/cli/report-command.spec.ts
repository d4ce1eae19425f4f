import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../support/temporary-directory.js';
import { runCliProcess } from './support/cli-process.js';
import { launchHeadlessChromium, type HeadlessChromium } from './support/headless-chromium.js';
import { aJobWithHistory } from './support/history-fixture.js';

describe('nact-checkpoint report', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await createTemporaryDirectory();
  });
  afterEach(async () => {
    await removeTemporaryDirectory(directory);
  });

  it('writes one self-contained HTML page of the history: no script, no link, nothing fetched', async () => {
    await aJobWithHistory(directory);
    const out = join(directory, 'report.html');

    const run = await runCliProcess(['report', '--dir', directory, '--job', 'job-1', '--out', out]);

    expect(run.exitCode, run.stderr).to.equal(0);
    expect(run.lines).to.deep.equal([`wrote ${out}: 3 checkpoint(s), 1 failed, 1 restore(s) of job job-1, from ${directory}/job-1/checkpoint-history.json`]);
    const html = await readFile(out, 'utf8');
    expect(html).to.match(/^<!DOCTYPE html>/);
    expect(html).to.not.match(/<script|<link|<img|<iframe|\ssrc=|\shref=|url\(|@import/i);
    expect(html).to.include('task sink declined checkpoint 2: not ready');
  });

  it('answers --json with where it wrote, and exits NO_HISTORY (9) without a history', async () => {
    await aJobWithHistory(directory);
    const run = await runCliProcess(['report', '--dir', directory, '--job', 'job-1', '--json'], { cwd: directory });
    const missing = await runCliProcess(['report', '--dir', join(directory, 'elsewhere'), '--job', 'job-1', '--json']);

    expect(run.exitCode, run.stdout).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal({
      command: 'report', jobId: 'job-1', history: join(directory, 'job-1/checkpoint-history.json'), out: join(directory, 'checkpoint-report.html'), checkpoints: 3, failed: 1, restores: 1,
    });
    expect((await stat(join(directory, 'checkpoint-report.html'))).size).to.be.above(1000);
    expect(missing.exitCode).to.equal(3);
  });

  describe('in a real headless Chromium', () => {
    let browser: HeadlessChromium;
    before(async function () {
      this.timeout(60_000);
      browser = await launchHeadlessChromium();
    });
    after(async () => {
      await browser?.close();
    });

    it('renders both charts with a bar per finished checkpoint, the failure and the restore marked, and the table, without errors or requests', async function () {
      this.timeout(60_000);
      await aJobWithHistory(directory);
      const out = join(directory, 'report.html');
      expect((await runCliProcess(['report', '--dir', directory, '--job', 'job-1', '--out', out])).exitCode).to.equal(0);
      const page = await browser.context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text()); });
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('request', (request) => requests.push(request.url()));

      await page.goto(pathToFileURL(out).href);

      expect(await page.title()).to.equal('Checkpoints of job job-1');
      expect(await page.locator('svg#duration-chart rect.bar').count()).to.equal(3);
      expect(await page.locator('svg#duration-chart rect.bar.failed').count()).to.equal(1);
      expect(await page.locator('svg#duration-chart path.failure').count()).to.equal(1);
      expect(await page.locator('svg#size-chart rect.bar.persisted').count()).to.equal(2);
      expect(await page.locator('svg#size-chart circle.state-size').count()).to.equal(2);
      expect(await page.locator('svg line.restore').count()).to.equal(2);
      expect(await page.locator('table#checkpoints tbody tr').count()).to.equal(3);
      expect(await page.locator('table#checkpoints tbody tr.failed td').last().textContent()).to.equal('declined: task sink declined checkpoint 2: not ready');
      // Drawn, not just present: the tallest duration bar (40 ms) has a real height on screen.
      const tallest = await page.locator('svg#duration-chart rect.bar.completed').last().boundingBox();
      expect(tallest?.height).to.be.above(100);
      const screenshot = await page.screenshot({ fullPage: true });
      expect([...screenshot.subarray(1, 4)].map((byte) => String.fromCharCode(byte)).join('')).to.equal('PNG');
      expect(problems).to.deep.equal([]);
      expect(requests).to.deep.equal([pathToFileURL(out).href]);
      await page.close();
    });
  });
});
