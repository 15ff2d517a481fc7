/**
 * Outcomes, per-component reports and the figures of the reliability harness:
 * a tally per outcome, the anomalies (each with a reproducer where there is
 * one), the markdown table written into docs/reliability.md and the JSON report.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';

/** What one case did. `error` is a LlamaError (typed); `untyped` anything else thrown. */
export type Outcome =
  | { kind: 'ok'; note?: string; data?: unknown }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'untyped'; name: string; message: string }
  | { kind: 'hang'; ms: number; note?: string }
  | { kind: 'crash'; signal: string | null; status: number | null; stderr: string; note?: string };

/** Kinds of anomaly; any of them fails the run. */
export type AnomalyKind =
  | 'crash' // the process died (signal or abnormal exit)
  | 'hang' // a call or wait past its bound
  | 'untyped' // an error that is not a LlamaError
  | 'accepted' // a wrong value accepted without an error
  | 'wrong-code' // a LlamaError with a code other than the one expected
  | 'mismatch' // output differs from the reference
  | 'leak' // memory growth over the bound
  | 'blocked' // the JS thread blocked past its bound
  | 'slow' // a call that returned, but past its time bound
  | 'coverage'; // a public API member the bad-input table does not cover

/** One thing that went wrong, with what it takes to see it again. */
export interface Anomaly {
  kind: AnomalyKind;
  /** The case, e.g. `Context.evaluate(tokens = null)`. */
  case: string;
  /** What happened. */
  detail: string;
  /** A few lines of JavaScript (against the built package) or a command that shows it. */
  reproducer?: string;
}

/** The report of one component. */
export interface ComponentReport {
  component: string;
  /** Cases run (loads, calls, aborts, cycles...). */
  cases: number;
  /** Outcome label → count, e.g. `ok`, `INVALID_MODEL`, `untyped`, `crash`. */
  tally: Record<string, number>;
  anomalies: Anomaly[];
  /** Component-specific figures, in table order. */
  figures: Array<[string, string]>;
  seconds: number;
}

/** The whole run. */
export interface RunReport {
  mode: 'quick' | 'full';
  date: string;
  machine: string;
  node: string;
  command: string;
  seconds: number;
  components: ComponentReport[];
  pass: boolean;
}

/** A label for tallies: `ok`, the LlamaError code, or the anomaly kind. */
export function outcomeLabel(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'ok':
      return 'ok';
    case 'error':
      return outcome.code;
    case 'untyped':
      return `untyped ${outcome.name}`;
    case 'hang':
      return 'hang';
    case 'crash':
      return outcome.signal ? `crash ${outcome.signal}` : `exit ${String(outcome.status)}`;
  }
}

/** One line describing an outcome, for anomaly details. */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'ok':
      return `ok${outcome.note ? ` (${outcome.note})` : ''}`;
    case 'error':
      return `LlamaError ${outcome.code}: ${clip(outcome.message, 200)}`;
    case 'untyped':
      return `${outcome.name}: ${clip(outcome.message, 200)}`;
    case 'hang':
      return `no answer within ${outcome.ms} ms${outcome.note ? ` (${outcome.note})` : ''}`;
    case 'crash': {
      const how = outcome.signal ? `killed by ${outcome.signal}` : `exit status ${String(outcome.status)}`;
      const last = outcome.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
      return `${how}${outcome.note ? ` (${outcome.note})` : ''}${last ? `: ${clip(last, 300)}` : ''}`;
    }
  }
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** Counts outcome labels. */
export class Tally {
  readonly counts: Record<string, number> = {};
  cases = 0;

  add(label: string, n = 1): void {
    this.counts[label] = (this.counts[label] ?? 0) + n;
    this.cases += n;
  }

  /** `ok 405 · INVALID_MODEL 10102 · crash SIGABRT 32`, largest first. */
  static format(counts: Record<string, number>): string {
    return Object.entries(counts)
      .sort((a, b) => b[1] - a[1])
      .map(([label, n]) => `${label} ${n}`)
      .join(' · ');
  }
}

/** Anomalies of one kind, counted. */
export function countAnomalies(report: ComponentReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of report.anomalies) counts[a.kind] = (counts[a.kind] ?? 0) + 1;
  return counts;
}

/** A one-line description of this machine. */
export function machineLine(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
  return `${process.platform}-${process.arch}, ${cpu.length} CPUs (${model}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The figures of a run as markdown: a summary table, component figures, then every anomaly. */
export function markdownFigures(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`Run of ${report.date} on ${report.machine}, Node ${report.node}, in ${report.seconds.toFixed(0)} s: \`${report.command}\``);
  lines.push('');
  lines.push('| component | cases | outcomes | anomalies | time |');
  lines.push('|---|---:|---|---|---:|');
  for (const c of report.components) {
    const anomalies = Tally.format(countAnomalies(c)) || 'none';
    lines.push(`| ${c.component} | ${c.cases} | ${cell(Tally.format(c.tally))} | ${cell(anomalies)} | ${c.seconds.toFixed(1)} s |`);
  }
  const withFigures = report.components.filter((c) => c.figures.length > 0);
  if (withFigures.length > 0) {
    lines.push('');
    lines.push('| component | figure | value |');
    lines.push('|---|---|---|');
    for (const c of withFigures) for (const [name, value] of c.figures) lines.push(`| ${c.component} | ${cell(name)} | ${cell(value)} |`);
  }
  // anomalies grouped by component, kind and member (the matrix gives many per member)
  const groups = new Map<string, { count: number; example: string }>();
  for (const c of report.components) {
    for (const a of c.anomalies) {
      const key = `${c.component}: **${a.kind}** ${a.case.split(/[(:]/)[0].trim()}`;
      const group = groups.get(key) ?? { count: 0, example: `${a.case}: ${a.detail}` };
      group.count++;
      groups.set(key, group);
    }
  }
  if (groups.size > 0) {
    lines.push('');
    lines.push(`Anomalies (${report.components.reduce((n, c) => n + c.anomalies.length, 0)}, grouped; \`--json\` has each with its reproducer):`);
    lines.push('');
    for (const [key, g] of [...groups].slice(0, 40)) lines.push(`- ${key} (${g.count}), e.g. ${cell(clip(g.example.split(ROOT_PREFIX).join(''), 260))}`);
  }
  return lines.join('\n');
}

/** The repository root as it appears in native assert messages, left out of the docs. */
const ROOT_PREFIX = `${resolve(__dirname, '..', '..')}/`;

export const FIGURES_START = '<!-- reliability:figures:start -->';
export const FIGURES_END = '<!-- reliability:figures:end -->';

/** Replaces what is between the figures markers of `path` with `markdown`. */
export function writeFiguresInto(path: string, markdown: string): void {
  const text = readFileSync(path, 'utf8');
  const start = text.indexOf(FIGURES_START);
  const end = text.indexOf(FIGURES_END);
  if (start < 0 || end < start) throw new Error(`${path} has no ${FIGURES_START} ... ${FIGURES_END} markers`);
  writeFileSync(path, `${text.slice(0, start + FIGURES_START.length)}\n${markdown}\n${text.slice(end)}`);
}

/** Prints one component's report as a few lines of text. */
export function textSummary(c: ComponentReport): string {
  const lines = [`${c.component}: ${c.cases} cases in ${c.seconds.toFixed(1)} s: ${Tally.format(c.tally)}`];
  for (const [name, value] of c.figures) lines.push(`  ${name}: ${value}`);
  const shown = c.anomalies.slice(0, 15);
  for (const a of shown) {
    lines.push(`  ${a.kind.toUpperCase()} ${a.case}: ${clip(a.detail, 240)}`);
    if (a.reproducer) lines.push(...a.reproducer.split('\n').map((l) => `      ${l}`));
  }
  if (c.anomalies.length > shown.length) lines.push(`  ... and ${c.anomalies.length - shown.length} more anomalies (see --json)`);
  return lines.join('\n');
}
