import { resolve } from 'node:path';
import { writeFileAtomically } from '../storage/atomic-file-writer.js';
import type { CliCommand, CommandInvocation, CommandResult } from './cli-command.js';
import { CliExitCode } from './exit-code.js';
import { openJobDirectory } from './job-directory.js';
import { readJobHistory } from './job-history.js';
import { renderReportHtml } from './report-html.js';

/** Where `report` writes when `--out` is not given. */
export const DEFAULT_REPORT_FILE = './checkpoint-report.html';

/** `report`: one self-contained HTML page of the job's checkpoint history (charts and a table; no network access). */
export const reportCommand: CliCommand = {
  name: 'report',
  positionals: [],
  summary: 'write the checkpoint history as one self-contained HTML page: durations and sizes over time, failures and restores marked, a table',
  details: [
    `Reads <dir>/<job>/checkpoint-history.json, like 'history', and writes the page to --out (default ${DEFAULT_REPORT_FILE}).`,
    'The page loads nothing from the network: open it in any browser, attach it to a ticket, keep it.',
  ],
  options: { out: { type: 'string', valueName: 'file', description: `report: the HTML file to write (default ${DEFAULT_REPORT_FILE})` } },
  needsJob: true,
  run: writeReport,
};

async function writeReport(invocation: CommandInvocation): Promise<CommandResult> {
  const job = await openJobDirectory(invocation.directory, invocation.jobId, false);
  const { file, persisted } = await readJobHistory(job);
  const out = typeof invocation.options['out'] === 'string' ? invocation.options['out'] : DEFAULT_REPORT_FILE;
  const html = renderReportHtml(persisted);
  await writeFileAtomically(resolve(out), new TextEncoder().encode(html));
  const { entries, restores } = persisted.history;
  const failed = entries.filter((entry) => entry.status === 'failed').length;
  return {
    exitCode: CliExitCode.OK,
    json: { command: 'report', jobId: job.jobId, history: resolve(file), out: resolve(out), checkpoints: entries.length, failed, restores: restores.length },
    lines: [`wrote ${out}: ${entries.length} checkpoint(s), ${failed} failed, ${restores.length} restore(s) of job ${job.jobId}, from ${file}`],
  };
}
