/** Runs a CommonJS snippet in a fresh Node process against the built package (dist/). */
import { spawnSync } from 'node:child_process';
import { ROOT } from './models';

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runChild(source: string, nodeArgs: string[] = [], env: Record<string, string> = {}): ChildResult {
  const r = spawnSync(process.execPath, [...nodeArgs, '-e', source], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
