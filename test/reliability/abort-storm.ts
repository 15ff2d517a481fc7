/**
 * Abort storm: generations on a 4-sequence context stopped every way there
 * is, four at a time: an AbortSignal (aborted before the call or during the
 * generation), `break` out of the iterator, `abort()`, and the context
 * disposed mid-generation. Each must end (resolve with finishReason 'abort',
 * finish, or reject with DISPOSED / ABORTED) within a bound; after each round
 * the context's greedy output on four prompts must equal a fresh context's.
 */
import { STORIES_MODEL } from '../support/models';
import { mulberry32 } from '../support/random';
import { classify, runItems, within, Timeout } from './child';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

const PROMPTS = ['Once upon a time', 'The little dog', 'Lily wanted to', 'One day, a'];
const KINDS = ['signal before', 'signal during', 'break', 'abort()', 'dispose'] as const;
type Kind = (typeof KINDS)[number];
/** Longest wait for a stopped generation to settle. */
const SETTLE_MS = 5000;

interface RoundData {
  tally: Record<string, number>;
  anomalies: Anomaly[];
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const perRound = 50;
  const rounds = options.mode === 'full' ? 20 : 4;
  const items = Array.from({ length: rounds }, (_, i) => ({ id: `round ${i}`, payload: { seed: options.seed * 1000 + i, aborts: perRound } }));
  options.log(`abort: ${rounds * perRound} aborts in ${rounds} rounds`);
  const outcomes = await runItems(__filename, {}, items, { itemTimeoutMs: 120_000, batchSize: 10, jobs: 1 });
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  let checks = 0;
  for (const item of items) {
    const outcome = outcomes.get(item.id)!;
    if (outcome.kind !== 'ok') {
      tally.add(outcomeLabel(outcome), item.payload.aborts);
      anomalies.push({ kind: outcome.kind === 'crash' ? 'crash' : outcome.kind === 'hang' ? 'hang' : 'untyped', case: item.id, detail: describeOutcome(outcome) });
      continue;
    }
    const data = outcome.data as RoundData;
    for (const [label, n] of Object.entries(data.tally)) tally.add(label, n);
    anomalies.push(...data.anomalies);
    checks++;
  }
  return {
    component: 'abort storm',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [
      ['aborts', `${tally.cases} (${KINDS.join(', ')}; 4 at a time on a 4-sequence context)`],
      ['greedy output after each round equal to a fresh context', `${checks - anomalies.filter((a) => a.kind === 'mismatch').length}/${checks} rounds`],
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child ----

export async function childSetup(): Promise<(payload: unknown) => Promise<Outcome>> {
  const { loadModel } = require('../../lib/index') as typeof import('../../lib/index');
  const model = await loadModel(STORIES_MODEL);
  const contextOptions = { sequences: 4, contextSize: 1024, threads: 1 };
  const greedy = async (context: import('../../lib/index').Context): Promise<string[]> =>
    Promise.all(PROMPTS.map(async (p) => (await context.generate(p, { max_new_tokens: 24 }).result).text));
  const fresh = await model.createContext(contextOptions);
  const reference = await greedy(fresh);
  fresh.dispose();
  let context = await model.createContext(contextOptions);

  /** Starts one generation, stops it the `kind` way after `delay` ms, and says how it ended. */
  const stopOne = async (kind: Kind, delay: number, prompt: string): Promise<Outcome> => {
    const controller = new AbortController();
    if (kind === 'signal before') controller.abort();
    const ctx = context;
    try {
      const g = ctx.generate(prompt, { max_new_tokens: 200, ignore_eos: true }, kind.startsWith('signal') ? { signal: controller.signal } : {});
      const timer = setTimeout(() => {
        if (kind === 'signal during') controller.abort();
        else if (kind === 'abort()') g.abort();
        else if (kind === 'dispose') ctx.dispose();
      }, delay);
      try {
        if (kind === 'break') {
          let n = 0;
          await within(SETTLE_MS, async () => {
            for await (const chunk of g) {
              n += chunk.tokens.length;
              if (n >= delay % 4) break;
            }
          });
          await within(SETTLE_MS, () => g.result);
          return { kind: 'ok' };
        }
        const result = await within(SETTLE_MS + delay, () => g.result);
        return { kind: 'ok', note: result.finishReason };
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      if (err instanceof Timeout) return { kind: 'hang', ms: err.ms };
      return classify(err);
    }
  };

  return async (payload) => {
    const { seed, aborts } = payload as { seed: number; aborts: number };
    const rand = mulberry32(seed);
    const tally = new Tally();
    const anomalies: Anomaly[] = [];
    for (let i = 0; i < aborts; i += 4) {
      const group = Array.from({ length: Math.min(4, aborts - i) }, (_, j) => {
        // at most one dispose per group: it stops the others too
        const kind: Kind = j === 0 && rand() < 0.15 ? 'dispose' : KINDS[Math.floor(rand() * 4)];
        return { kind, delay: Math.floor(rand() * 25), prompt: PROMPTS[Math.floor(rand() * PROMPTS.length)] };
      });
      const results = await Promise.all(group.map((g) => stopOne(g.kind, g.delay, g.prompt)));
      results.forEach((outcome, j) => {
        const { kind, delay } = group[j];
        tally.add(outcome.kind === 'ok' ? `ended (${kind})` : outcomeLabel(outcome));
        const expectedCodes = kind === 'dispose' || context.disposed ? ['DISPOSED', 'ABORTED'] : ['ABORTED'];
        if (outcome.kind === 'hang' || outcome.kind === 'untyped' || (outcome.kind === 'error' && !expectedCodes.includes(outcome.code))) {
          anomalies.push({ kind: outcome.kind === 'error' ? 'wrong-code' : outcome.kind, case: `${kind} after ${delay} ms (seed ${seed}, abort ${i + j})`, detail: describeOutcome(outcome) });
        }
      });
      if (context.disposed) context = await model.createContext(contextOptions);
    }
    const after = await greedy(context);
    if (after.some((text, k) => text !== reference[k])) {
      anomalies.push({ kind: 'mismatch', case: `greedy after round (seed ${seed})`, detail: `got ${JSON.stringify(after)}, a fresh context gives ${JSON.stringify(reference)}` });
    }
    return { kind: 'ok', data: { tally: tally.counts, anomalies } satisfies RoundData };
  };
}
