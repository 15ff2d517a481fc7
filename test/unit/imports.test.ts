/**
 * Imports point one way: among lib/'s modules (a directory counts as one
 * module, a top-level file as one) no run-time import closes a cycle, and
 * config/ imports nothing above it but the error type. Type-only imports
 * (`import type`) are erased and do not count.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/models';

const LIB = join(ROOT, 'lib');

/** Run-time imports between modules: module → the modules it imports. */
function moduleGraph(): Map<string, Set<string>> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(LIB);
  const moduleOf = (file: string): string => {
    const parts = relative(LIB, file).split('/');
    return parts.length > 1 ? `${parts[0]}/` : parts[0].replace(/\.ts$/, '');
  };
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export)\s+(type\s+)?[^'"]*?from\s+'(\.[^']+)'/gm)) {
      if (m[1]) continue;
      let target = resolve(dirname(file), m[2]);
      if (existsSync(`${target}.ts`)) target = `${target}.ts`;
      else if (existsSync(join(target, 'index.ts'))) target = join(target, 'index.ts');
      else throw new Error(`${relative(ROOT, file)}: cannot resolve '${m[2]}'`);
      const [from, to] = [moduleOf(file), moduleOf(target)];
      if (from === to) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** The cycles of `graph` (strongly connected components of more than one module). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('import direction in lib/', () => {
  const graph = moduleGraph();

  it('has no run-time import cycle between modules', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('config/ imports nothing above it but the error type', () => {
    expect([...(graph.get('config/') ?? [])]).toEqual(['errors']);
  });

  it('finds the cycles it is meant to find', () => {
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]]))).toEqual([['a', 'b', 'c']]);
  });
});
