/**
 * Concurrency: rounds of 8 generations at once on a 4-sequence context (four
 * run batched, four wait for a sequence), each greedy output compared with
 * the same prompt generated alone; every generation must finish in bounded time.
 */
import { STORIES_MODEL } from '../support/models';
import { classify, runItems, within } from './child';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

const PROMPTS = ['Once upon a time', 'The little dog', 'Lily wanted to', 'One day, a', 'Tom had a big', 'The sun was', 'She saw a', 'They went to the'];

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const rounds = options.mode === 'full' ? 200 : 40;
  const perItem = 4;
  const items = Array.from({ length: Math.ceil(rounds / perItem) }, (_, i) => ({ id: `rounds ${i * perItem}-${Math.min(rounds, (i + 1) * perItem) - 1}`, payload: Math.min(perItem, rounds - i * perItem) }));
  options.log(`concurrency: ${rounds} rounds of ${PROMPTS.length} generations on 4 sequences`);
  const outcomes = await runItems(__filename, {}, items, { itemTimeoutMs: 120_000, batchSize: 100 });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  for (const item of items) {
    const outcome = outcomes.get(item.id)!;
    if (outcome.kind === 'ok') {
      const data = outcome.data as { tally: Record<string, number>; anomalies: Anomaly[] };
      for (const [label, n] of Object.entries(data.tally)) tally.add(label, n);
      anomalies.push(...data.anomalies);
    } else {
      tally.add(outcomeLabel(outcome), item.payload * PROMPTS.length);
      anomalies.push({ kind: outcome.kind === 'crash' ? 'crash' : outcome.kind === 'hang' ? 'hang' : 'untyped', case: item.id, detail: describeOutcome(outcome) });
    }
  }
  const same = tally.counts['identical to sequential'] ?? 0;
  return {
    component: 'concurrency',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [['8 generations at once on 4 sequences', `${same}/${tally.cases} complete with greedy output identical to sequential`]],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----

export async function childSetup(): Promise<(payload: unknown) => Promise<Outcome>> {
  const { loadModel } = require('../../lib/index') as typeof import('../../lib/index');
  const model = await loadModel(STORIES_MODEL);
  const context = await model.createContext({ sequences: 4, contextSize: 1024, threads: 1 });
  const config = { max_new_tokens: 24 };
  const reference: string[] = [];
  for (const p of PROMPTS) {
    await context.clear();
    reference.push((await context.generate(p, config).result).text);
  }
  return async (payload) => {
    const tally = new Tally();
    const anomalies: Anomaly[] = [];
    for (let r = 0; r < (payload as number); r++) {
      const results = await Promise.all(
        PROMPTS.map(async (p, i) => {
          try {
            const text = (await within(30_000, () => context.generate(p, config).result)).text;
            return text === reference[i] ? 'identical to sequential' : `different: ${JSON.stringify(text)} (alone: ${JSON.stringify(reference[i])})`;
          } catch (err) {
            const outcome = classify(err);
            return `failed ${outcome.kind === 'error' ? 'wrong-code' : 'untyped'}: ${describeOutcome(outcome)}`;
          }
        }),
      );
      results.forEach((label, i) => {
        if (label === 'identical to sequential') tally.add(label);
        else {
          tally.add(label.startsWith('different') ? 'different' : 'failed');
          const kind = label.startsWith('different') ? 'mismatch' : label.includes('Timeout') ? 'hang' : label.startsWith('failed wrong-code') ? 'wrong-code' : 'untyped';
          anomalies.push({ kind, case: `prompt ${JSON.stringify(PROMPTS[i])}, with 7 others`, detail: label });
        }
      });
    }
    return { kind: 'ok', data: { tally: tally.counts, anomalies } };
  };
}
