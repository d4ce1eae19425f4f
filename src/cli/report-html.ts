import { CheckpointHistoryStatus, type CheckpointHistoryEntry, type PersistedCheckpointHistory, type RestoreRecord } from '../checkpoint/checkpoint-history.js';
import { formatBytes, formatTimestamp } from './text-format.js';

/*
 * The checkpoint report: one self-contained HTML page (inline CSS and SVG, no script, no external resource) showing a
 * job's history the way Flink's checkpoint tab does: durations and sizes over time, failures and restores marked, and
 * a table. Charts are drawn here, as SVG text, so the page needs nothing but a browser.
 */

const WIDTH = 920;
const HEIGHT = 240;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 72 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;

const COLOURS = { completed: '#2f6fb5', savepoint: '#6a3fb5', failed: '#c62828', persisted: '#2e7d32', stateSize: '#8e44ad', restore: '#ef6c00', axis: '#555', grid: '#e3e3e3' };

/** Text for HTML content and attribute values. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const time = (timestamp: number): string => formatTimestamp(timestamp).slice(11, 19);
const ms = (value: number): string => `${Math.round(value * 10) / 10} ms`;

interface TimeScale {
  readonly x: (timestamp: number) => number;
  readonly from: number;
  readonly to: number;
}

function timeScale(entries: readonly CheckpointHistoryEntry[], restores: readonly RestoreRecord[]): TimeScale {
  const times = [...entries.flatMap((entry) => [entry.triggerTimestamp, entry.endTimestamp ?? entry.triggerTimestamp]), ...restores.map((restore) => restore.timestamp)];
  const from = times.length === 0 ? 0 : Math.min(...times);
  const to = times.length === 0 ? 1 : Math.max(...times);
  const span = Math.max(1, to - from);
  // A small pad on both sides keeps the first and last bars inside the plot.
  return { from, to, x: (timestamp) => MARGIN.left + 8 + ((timestamp - from) / span) * (PLOT_WIDTH - 16) };
}

function yAxis(maximum: number, format: (value: number) => string): string {
  const ticks = [0, maximum / 2, maximum];
  return ticks.map((value) => {
    const y = MARGIN.top + PLOT_HEIGHT - (maximum === 0 ? 0 : (value / maximum) * PLOT_HEIGHT);
    return `<line class="grid" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="${COLOURS.grid}"/>` +
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${escapeHtml(format(value))}</text>`;
  }).join('');
}

function xAxis(scale: TimeScale): string {
  const y = MARGIN.top + PLOT_HEIGHT;
  return `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}" stroke="${COLOURS.axis}"/>` +
    `<text x="${scale.x(scale.from)}" y="${y + 18}" class="tick">${time(scale.from)}</text>` +
    `<text x="${scale.x(scale.to)}" y="${y + 18}" text-anchor="end" class="tick">${time(scale.to)}</text>` +
    `<text x="${MARGIN.left + PLOT_WIDTH / 2}" y="${y + 30}" text-anchor="middle" class="tick">trigger time (UTC)</text>`;
}

function restoreMarkers(restores: readonly RestoreRecord[], scale: TimeScale): string {
  return restores.map((restore) => {
    const x = scale.x(restore.timestamp);
    const label = restore.checkpointId === null ? 'restore (empty)' : `restore → ${restore.checkpointId}`;
    return `<g class="restore"><line class="restore" x1="${x}" x2="${x}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_HEIGHT}" stroke="${COLOURS.restore}" stroke-width="2" stroke-dasharray="5 3"/>` +
      `<text x="${x + 3}" y="${MARGIN.top + 10}" class="marker-label" fill="${COLOURS.restore}">${escapeHtml(label)}</text>` +
      `<title>${escapeHtml(`${label} at ${formatTimestamp(restore.timestamp)}`)}</title></g>`;
  }).join('');
}

function barWidth(count: number): number {
  return Math.max(3, Math.min(28, (PLOT_WIDTH / Math.max(count, 1)) * 0.6));
}

function durationChart(entries: readonly CheckpointHistoryEntry[], restores: readonly RestoreRecord[], scale: TimeScale): string {
  const finished = entries.filter((entry) => entry.durationMs !== null);
  const maximum = Math.max(1, ...finished.map((entry) => entry.durationMs as number));
  const width = barWidth(entries.length);
  const bars = finished.map((entry) => {
    const height = Math.max(1, ((entry.durationMs as number) / maximum) * PLOT_HEIGHT);
    const x = scale.x(entry.triggerTimestamp) - width / 2;
    const y = MARGIN.top + PLOT_HEIGHT - height;
    const failed = entry.status === CheckpointHistoryStatus.FAILED;
    const colour = failed ? COLOURS.failed : entry.kind === 'savepoint' ? COLOURS.savepoint : COLOURS.completed;
    const title = `${entry.kind} ${entry.checkpointId} ${entry.status} in ${ms(entry.durationMs as number)}${failed ? ` (${entry.failureReason})` : ''}`;
    const cross = failed
      ? `<path class="failure" d="M${x + width / 2 - 5},${y - 14} l10,10 m0,-10 l-10,10" stroke="${COLOURS.failed}" stroke-width="2.5"/>`
      : '';
    return `<g><rect class="bar ${entry.status}" x="${x}" y="${y}" width="${width}" height="${height}" fill="${colour}"><title>${escapeHtml(title)}</title></rect>${cross}</g>`;
  }).join('');
  return svg('duration-chart', 'Checkpoint duration (trigger to completion or failure)', yAxis(maximum, ms) + xAxis(scale) + bars + restoreMarkers(restores, scale));
}

function sizeChart(entries: readonly CheckpointHistoryEntry[], restores: readonly RestoreRecord[], scale: TimeScale): string {
  const completed = entries.filter((entry) => entry.status === CheckpointHistoryStatus.COMPLETED);
  const maximum = Math.max(1, ...completed.map((entry) => Math.max(entry.stateSize ?? 0, entry.persistedBytes ?? 0)));
  const width = barWidth(entries.length);
  const y = (value: number): number => MARGIN.top + PLOT_HEIGHT - (value / maximum) * PLOT_HEIGHT;
  const bars = completed.map((entry) => {
    const persisted = entry.persistedBytes ?? 0;
    const x = scale.x(entry.triggerTimestamp) - width / 2;
    const full = entry.stateSize !== null && persisted >= entry.stateSize;
    const title = `${entry.kind} ${entry.checkpointId}: persisted ${formatBytes(persisted)} of ${formatBytes(entry.stateSize ?? 0)}${full ? ' (whole state: a full upload or compaction)' : ''}`;
    return `<rect class="bar persisted" x="${x}" y="${y(persisted)}" width="${width}" height="${Math.max(1, MARGIN.top + PLOT_HEIGHT - y(persisted))}" fill="${COLOURS.persisted}" opacity="0.8"><title>${escapeHtml(title)}</title></rect>`;
  }).join('');
  const points = completed.map((entry) => `${scale.x(entry.triggerTimestamp)},${y(entry.stateSize ?? 0)}`).join(' ');
  const line = completed.length === 0 ? '' : `<polyline class="state-size" points="${points}" fill="none" stroke="${COLOURS.stateSize}" stroke-width="2"/>` +
    completed.map((entry) => `<circle class="state-size" cx="${scale.x(entry.triggerTimestamp)}" cy="${y(entry.stateSize ?? 0)}" r="3" fill="${COLOURS.stateSize}"><title>${escapeHtml(`${entry.kind} ${entry.checkpointId}: state size ${formatBytes(entry.stateSize ?? 0)}`)}</title></circle>`).join('');
  return svg('size-chart', 'State size (line) and bytes persisted by each checkpoint (bars)', yAxis(maximum, formatBytes) + xAxis(scale) + bars + line + restoreMarkers(restores, scale));
}

function svg(id: string, title: string, content: string): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption>` +
    `<svg id="${id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${content}</svg></figure>`;
}

function tableRow(entry: CheckpointHistoryEntry): string {
  const latency = entry.acknowledgementLatency;
  const cells = [
    String(entry.checkpointId),
    entry.kind,
    entry.status,
    formatTimestamp(entry.triggerTimestamp),
    entry.durationMs === null ? '-' : ms(entry.durationMs),
    latency === null ? '-' : `${ms(latency.min)} / ${ms(latency.avg)} / ${ms(latency.p99)} / ${ms(latency.max)}`,
    entry.slowestTask === null ? '-' : `${entry.slowestTask.taskId} (${ms(entry.slowestTask.latencyMs)})`,
    entry.stateSize === null ? '-' : formatBytes(entry.stateSize),
    entry.persistedBytes === null ? '-' : formatBytes(entry.persistedBytes),
    entry.failureReason === null ? '' : `${entry.failureReason}: ${entry.failureMessage ?? ''}`,
  ];
  return `<tr class="${entry.status}">${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; }
.meta { color: #555; margin: 0 0 16px; }
.summary { display: flex; gap: 12px; flex-wrap: wrap; margin: 0 0 16px; padding: 0; list-style: none; }
.summary li { background: #f4f6f8; border-radius: 6px; padding: 8px 12px; }
.summary b { display: block; font-size: 18px; }
figure { margin: 0 0 20px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
.chart { border: 1px solid #ddd; border-radius: 6px; background: #fff; max-width: 100%; height: auto; }
.tick, .marker-label { font-size: 11px; fill: #555; }
.legend { display: flex; gap: 16px; flex-wrap: wrap; margin: 0 0 16px; font-size: 13px; }
.legend span::before { content: ""; display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px; background: var(--c); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 8px; text-align: left; white-space: nowrap; }
td:last-child { white-space: normal; }
th { background: #f4f6f8; }
tr.failed td { background: #fdecea; }
tr.in-progress td { color: #777; }
.empty { color: #777; font-style: italic; }
`;

/**
 * The report page of a persisted history: summary tiles, a duration chart and a size chart over trigger time (failed
 * checkpoints red with a cross, restores as dashed orange lines), a legend and a table of every checkpoint.
 */
export function renderReportHtml(persisted: PersistedCheckpointHistory): string {
  const { history, totals, jobId } = persisted;
  const scale = timeScale(history.entries, history.restores);
  const { summary } = history;
  const tiles: [string, string][] = [
    ['completed', String(summary.completed)],
    ['failed', String(summary.failed)],
    ['in progress', String(summary.inProgress)],
    ['restores', String(history.restores.length)],
    ['duration min / avg / max', summary.durationMs === null ? '-' : `${ms(summary.durationMs.min)} / ${ms(summary.durationMs.avg)} / ${ms(summary.durationMs.max)}`],
    ['state size (latest range)', summary.stateSize === null ? '-' : `${formatBytes(summary.stateSize.min)} – ${formatBytes(summary.stateSize.max)}`],
    ['persisted avg', summary.persistedBytes === null ? '-' : formatBytes(summary.persistedBytes.avg)],
  ];
  const body = history.entries.length === 0
    ? '<p class="empty">No checkpoint in the history yet.</p>'
    : durationChart(history.entries, history.restores, scale) + sizeChart(history.entries, history.restores, scale);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkpoints of job ${escapeHtml(jobId)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Checkpoints of job ${escapeHtml(jobId)}</h1>
<p class="meta">The last ${history.entries.length} checkpoint(s) of a history of ${history.capacity}, written ${escapeHtml(formatTimestamp(persisted.writtenAt))}. Totals of the run: ${totals.triggered} triggered, ${totals.completed} completed, ${totals.failed} failed, ${totals.restored} restored.</p>
<ul class="summary">${tiles.map(([name, value]) => `<li><b>${escapeHtml(value)}</b>${escapeHtml(name)}</li>`).join('')}</ul>
<div class="legend"><span style="--c:${COLOURS.completed}">completed checkpoint</span><span style="--c:${COLOURS.savepoint}">savepoint</span><span style="--c:${COLOURS.failed}">failed (✕)</span><span style="--c:${COLOURS.restore}">restore</span><span style="--c:${COLOURS.persisted}">bytes persisted</span><span style="--c:${COLOURS.stateSize}">state size</span></div>
${body}
<table id="checkpoints">
<thead><tr><th>id</th><th>kind</th><th>status</th><th>triggered (UTC)</th><th>duration</th><th>ack latency min / avg / p99 / max</th><th>slowest task</th><th>state size</th><th>persisted</th><th>failure</th></tr></thead>
<tbody>
${history.entries.map(tableRow).join('\n')}
</tbody>
</table>
</body>
</html>
`;
}
