/**
 * Speculative decoding benchmark (issue 13): plain decoding beside prompt
 * lookup (`prompt_lookup_num_tokens`) and beside a draft model
 * (`assistant_model`), on the same context, runs interleaved.
 *
 * (a) Prompt lookup on stories260K and on the 100M model, with prompts whose
 *     output may repeat the input (a story given again, a random token
 *     sequence given twice) and one that gives nothing to copy.
 * (b) Draft models built with the GGUF writer: the 100M F16 target with the
 *     same weights as Q8_0 (agrees often, not much cheaper) and with its first
 *     2 of 8 layers (cheaper, agrees less); stories260K with its first 4 of 5
 *     layers. num_assistant_tokens 2, 4, 8 (constant) and the heuristic
 *     schedule, assistant_confidence_threshold 0 (every step drafts its k).
 *
 * Greedy: the speculative output must be token for token plain greedy's (the
 * script throws otherwise), and for prompt lookup the reported drafted /
 * accepted / verifySteps must equal an independent simulation of
 * transformers' PromptLookupCandidateGenerator over that output. Sampling
 * (seeded, the same seed for both sides): acceptance only, outputs differ.
 * A last table runs k = 4 with threadPolling 0 in both the target's and the
 * draft's context (the draft's context is made by the target's with the
 * default threadPolling 50): what two spinning thread pools cost on 2 cores.
 *
 * Usage:  npx tsx bench/speculative.ts [--reps N] [--threads N] [--tokens N] [--skip-slow]
 *   --reps N      runs per variant, interleaved, after one warm-up (default 5; median [min–max] reported)
 *   --threads N   CPU threads of every context (default 2)
 *   --tokens N    max_new_tokens, EOS ignored, so every run makes exactly N tokens (default 128)
 *   --skip-slow   leave out the 100M target with its 2-layer draft (0 % acceptance: the slowest rows)
 *
 * Writes bench/results/speculative.md and bench/results/speculative.json.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel, type Context, type ContextOptions, type GenerationConfigInput, type Model } from '../lib';
import { rewriteModel } from '../test/support/gguf-rewrite';
import { writeRandomLlama } from '../test/support/random-llama';
import { MODELS, RESULTS, ROOT, busyWarning, codeLine, ensureModel, machineInfo, mdTable, randomPrompt, sourceState, stat, ts, type Stat } from './common';

/** The 100M bench model's options (scripts/make-bench-model.ts); the draft keeps its seed, so its layers are the target's first ones. */
const BENCH_100M = { seed: 42, nLayer: 8, nEmbd: 768, nHead: 12, nHeadKv: 4, nFf: 2048, contextLength: 2048, vocab: 'llama-spm' } as const;
const STORIES = MODELS.find((m) => m.id === 'stories260K')!;
const Q8 = MODELS.find((m) => m.id === 'random-100m-q8_0')!;
const F16 = { ...Q8, id: 'random-100m-f16', label: '100M F16 (random)', path: join(ROOT, 'bench', 'models', 'random-llama-100m-f16.gguf') };
const TWO_LAYERS = join(ROOT, 'bench', 'models', 'random-llama-100m-2-layers-f16.gguf');

/** The story of the copying prompts; the output "should" go on with it after its first words. */
const STORY =
  'Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big red ball. ' +
  'She wanted to play with it. She ran to the ball and kicked it. The ball went very far.';
const STORY_START = 'Once upon a time, there was a little';

const SAMPLING = { do_sample: true, temperature: 0.7, top_k: 40 } as const;
const LOOKUP = { prompt_lookup_num_tokens: 10 } as const;
const DRAFT_KS = [2, 4, 8];

interface Variant {
  name: string;
  /** undefined: plain decoding (the first variant of every scenario) */
  spec?: GenerationConfigInput;
}

interface Scenario {
  id: string;
  section: 'lookup' | 'draft' | 'polling';
  target: string;
  draft?: string;
  prompt: string;
  mode: 'greedy' | 'sampling';
  context: Context;
  input: string | number[];
  /** What the output would be if the model copied its input: leading output tokens (or characters) that match it are counted. */
  copy?: { tokens?: number[]; text?: string };
  variants: Variant[];
}

interface VariantResult {
  name: string;
  ms: Stat;
  /** plain's generationMs / this one's, per rep (paired: the two ran back to back) */
  pairedSpeedUp: Stat;
  drafted: number;
  accepted: number;
  acceptanceRate: number | null;
  verifySteps: number;
  tokensPerDecode: Stat | null;
  numAssistantTokens: number[];
  /** leading output tokens (characters for text) that copy the input's continuation, first timed run */
  copied: number | null;
}

const commonPrefix = <T>(a: ArrayLike<T>, b: ArrayLike<T>): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

/** transformers' prompt lookup (PromptLookupCandidateGenerator) over `history`: the first earlier match of its last n-gram, n from maxNgram down to 1. */
function lookupDraft(history: number[], want: number, maxNgram: number): number[] {
  const n = history.length;
  if (n < 2 || want <= 0) return [];
  for (let size = Math.min(maxNgram, n - 1); size > 0; size--) {
    for (let at = 0; at + size <= n; at++) {
      let same = true;
      for (let j = 0; j < size && same; j++) same = history[at + j] === history[n - size + j];
      if (!same) continue;
      const start = at + size;
      const end = Math.min(start + want, n);
      if (start < end) return history.slice(start, end);
    }
  }
  return [];
}

/** What greedy prompt lookup must report for this output: drafts from the history, kept while they equal the output (room as the engine gives it). */
function simulateLookup(prompt: number[], out: number[], k: number, maxNgram = 2): { drafted: number; accepted: number; verifySteps: number } {
  let drafted = 0;
  let accepted = 0;
  let verifySteps = 0;
  for (let g = 1; g < out.length; ) {
    const room = Math.min(k, out.length - g - 1);
    const draft = room > 0 ? lookupDraft([...prompt, ...out.slice(0, g)], room, maxNgram) : [];
    let a = 0;
    while (a < draft.length && draft[a] === out[g + a]) a++;
    drafted += draft.length;
    accepted += a;
    if (draft.length > 0) verifySteps++;
    g += a + 1;
  }
  return { drafted, accepted, verifySteps };
}

/** The 100M model's first `layers` layers as F16 (same seed, so the same tensors), written once. */
async function ensureFewerLayers(path: string, layers: number): Promise<void> {
  if (existsSync(path)) return;
  console.log(`writing ${relative(ROOT, path)}`);
  await writeRandomLlama(path, { ...BENCH_100M, nLayer: layers, type: 'f16' });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '5' },
      threads: { type: 'string', default: '2' },
      tokens: { type: 'string', default: '128' },
      'skip-slow': { type: 'boolean', default: false },
    },
  });
  const reps = Number(values.reps);
  const threads = Number(values.threads);
  const steps = Number(values.tokens);
  const skipSlow = values['skip-slow']!;
  const loadBefore = os.loadavg();
  const source = sourceState();
  const started = Date.now();

  // Models: stories260K and its first 4 of 5 layers (as test/generation/speculative.test.ts), the 100M F16 / Q8_0 / 2 layers.
  ensureModel(STORIES);
  ensureModel(Q8); // `npm run bench:model` writes the F16 beside it
  if (!existsSync(F16.path)) throw new Error(`${F16.path} is missing: run \`npm run bench:model\``);
  if (!skipSlow) await ensureFewerLayers(TWO_LAYERS, 2);
  const tmp = mkdtempSync(join(os.tmpdir(), 'lg-bench-speculative-'));
  const storiesDraftPath = join(tmp, 'stories-4-layers.gguf');
  await rewriteModel(STORIES.path, storiesDraftPath, {
    metadata: { 'llama.block_count': { type: 'u32', value: 4 } },
    tensors: (tensors) => tensors.filter((t) => !/^blk\.4\./.test(t.name)),
  });

  const options = (extra: Partial<ContextOptions> = {}): ContextOptions => ({
    contextSize: 1024, batchSize: 512, ubatchSize: 512, threads, threadsBatch: threads, sequences: 1, ...extra,
  });
  const stories = await loadModel(STORIES.path);
  const storiesDraft = await loadModel(storiesDraftPath);
  const f16 = await loadModel(F16.path);
  const q8 = await loadModel(Q8.path);
  const twoLayers = skipSlow ? null : await loadModel(TWO_LAYERS);
  const storiesCtx = await stories.createContext(options());
  const f16Ctx = await f16.createContext(options());
  // threadPolling 0 in the target's context and in the draft's, which the target's makes: the drafts are loaded again so that
  // these target contexts get draft contexts of their own, made through this wrapper.
  const quiet = async (path: string): Promise<Model> => {
    const m = await loadModel(path);
    const create = m.createContext.bind(m);
    m.createContext = (o?: ContextOptions) => create({ ...o, threadPolling: 0 });
    return m;
  };
  const q8Quiet = await quiet(Q8.path);
  const twoLayersQuiet = skipSlow ? null : await quiet(TWO_LAYERS);
  const f16QuietCtx = await f16.createContext(options({ threadPolling: 0 }));

  const random64 = randomPrompt(64, f16.vocabSize, 7);
  const repeated = [...random64, ...random64, ...random64.slice(0, 8)];

  const draftVariants = (model: Model): Variant[] => [
    ...DRAFT_KS.map((k) => ({
      name: `draft k=${k}`,
      spec: { assistant_model: model, num_assistant_tokens: k, assistant_confidence_threshold: 0 } as GenerationConfigInput,
    })),
    {
      name: 'draft heuristic (from k=4)',
      spec: { assistant_model: model, num_assistant_tokens: 4, num_assistant_tokens_schedule: 'heuristic', assistant_confidence_threshold: 0 },
    },
  ];
  const plain: Variant = { name: 'plain' };
  const lookupVariants: Variant[] = [plain, { name: 'prompt lookup 10', spec: LOOKUP }, { name: 'prompt lookup 3', spec: { prompt_lookup_num_tokens: 3 } }];

  const scenarios: Scenario[] = [];
  for (const mode of ['greedy', 'sampling'] as const) {
    const variants = mode === 'greedy' ? lookupVariants : lookupVariants.slice(0, 2);
    scenarios.push(
      {
        id: `stories-open-${mode}`, section: 'lookup', target: 'stories260K', prompt: '"Once upon a time" (nothing to copy)', mode,
        context: storiesCtx, input: 'Once upon a time', variants,
      },
      {
        id: `stories-again-${mode}`, section: 'lookup', target: 'stories260K', prompt: 'a 55-token story, a blank line, its first 8 words again', mode,
        context: storiesCtx, input: `${STORY}\n\n${STORY_START}`, copy: { text: STORY.slice(STORY_START.length) }, variants,
      },
      {
        id: `100m-random-${mode}`, section: 'lookup', target: F16.label, prompt: '64 random tokens', mode,
        context: f16Ctx, input: random64, variants,
      },
      {
        id: `100m-repeated-${mode}`, section: 'lookup', target: F16.label, prompt: '64 random tokens twice, then their first 8', mode,
        context: f16Ctx, input: repeated, copy: { tokens: random64.slice(8) }, variants,
      },
    );
  }
  const pairs: Array<{ id: string; target: string; draft: string; context: Context; model: Model; input: string | number[] }> = [
    { id: 'stories-4of5', target: 'stories260K', draft: 'stories260K, first 4 of 5 layers (F32)', context: storiesCtx, model: storiesDraft, input: 'Once upon a time' },
    { id: '100m-q8', target: F16.label, draft: '100M Q8_0, same weights', context: f16Ctx, model: q8, input: random64 },
    ...(twoLayers ? [{ id: '100m-2of8', target: F16.label, draft: '100M, first 2 of 8 layers (F16)', context: f16Ctx, model: twoLayers, input: random64 }] : []),
  ];
  for (const p of pairs) {
    const prompt = typeof p.input === 'string' ? `"${p.input}"` : '64 random tokens';
    scenarios.push({ id: `${p.id}-greedy`, section: 'draft', target: p.target, draft: p.draft, prompt, mode: 'greedy', context: p.context, input: p.input, variants: [plain, ...draftVariants(p.model)] });
    scenarios.push({
      id: `${p.id}-sampling`, section: 'draft', target: p.target, draft: p.draft, prompt, mode: 'sampling', context: p.context, input: p.input,
      variants: [plain, draftVariants(p.model)[1]],
    });
  }
  const quietPairs: Array<[string, string, Model | null, Model | null]> = [
    ['100m-q8', '100M Q8_0, same weights', q8, q8Quiet],
    ['100m-2of8', '100M, first 2 of 8 layers (F16)', twoLayers, twoLayersQuiet],
  ];
  for (const [id, label, , quietModel] of quietPairs) {
    if (!quietModel) continue;
    scenarios.push({
      id: `${id}-poll0`, section: 'polling', target: F16.label, draft: label, prompt: '64 random tokens', mode: 'greedy',
      context: f16QuietCtx, input: random64,
      variants: [{ name: 'plain, threadPolling 0' }, { name: 'draft k=4, threadPolling 0 (both contexts)', spec: draftVariants(quietModel)[1].spec }],
    });
  }

  const results: Array<Omit<Scenario, 'context' | 'variants' | 'copy' | 'input'> & { promptTokens: number; variants: VariantResult[] }> = [];
  for (const sc of scenarios) {
    const t0 = Date.now();
    const ms = sc.variants.map(() => [] as number[]);
    const paired = sc.variants.map(() => [] as number[]);
    const perDecode = sc.variants.map(() => [] as number[]);
    const counts = sc.variants.map(() => ({ drafted: 0, accepted: 0, verifySteps: 0, k: [] as number[] }));
    const copied: Array<number | null> = sc.variants.map(() => null);
    let promptTokens = 0;
    let reference: number[] | null = null; // plain greedy's tokens
    for (let rep = 0; rep < reps + 1; rep++) {
      let plainMs = NaN;
      for (const [i, v] of sc.variants.entries()) {
        await sc.context.clear();
        const base: GenerationConfigInput = { max_new_tokens: steps, ignore_eos: true, ...(sc.mode === 'greedy' ? { do_sample: false } : { ...SAMPLING, seed: 1000 + rep }) };
        const r = await sc.context.generate(sc.input, { ...base, ...v.spec }).result;
        const tokens = Array.from(r.tokens);
        const where = `${sc.id} / ${v.name} / rep ${rep}`;
        if (tokens.length !== steps) throw new Error(`${where}: ${tokens.length} tokens, expected ${steps}`);
        promptTokens = r.prompt.length;
        if (!v.spec) {
          if (r.speculative) throw new Error(`${where}: plain decoding reports speculative stats`);
          if (sc.mode === 'greedy') {
            if (reference && tokens.join() !== reference.join()) throw new Error(`${where}: plain greedy changed between runs`);
            reference = tokens;
          }
          plainMs = r.timings.generationMs;
        } else {
          const s = r.speculative;
          if (!s) throw new Error(`${where}: no speculative stats`);
          if (sc.mode === 'greedy' && tokens.join() !== reference!.join()) {
            const at = commonPrefix(tokens, reference!);
            throw new Error(`${where}: speculative greedy differs from plain greedy at token ${at}: ${tokens.slice(at, at + 5)} vs ${reference!.slice(at, at + 5)}`);
          }
          if (s.accepted > s.drafted || s.accepted > steps - 1 || s.verifySteps > steps - 1 - s.accepted) {
            throw new Error(`${where}: stats do not add up: ${JSON.stringify(s)}`);
          }
          if (Math.abs(s.tokensPerDecode - steps / (steps - s.accepted)) > 1e-9) throw new Error(`${where}: tokensPerDecode ${s.tokensPerDecode} != ${steps}/(${steps}-${s.accepted})`);
          const k = (v.spec as { prompt_lookup_num_tokens?: number }).prompt_lookup_num_tokens;
          if (sc.mode === 'greedy' && k !== undefined) {
            const sim = simulateLookup(Array.from(r.prompt), tokens, k);
            if (sim.drafted !== s.drafted || sim.accepted !== s.accepted || sim.verifySteps !== s.verifySteps) {
              throw new Error(`${where}: stats ${JSON.stringify(s)} differ from the simulated prompt lookup ${JSON.stringify(sim)}`);
            }
          }
          if (rep > 0) {
            counts[i].drafted += s.drafted;
            counts[i].accepted += s.accepted;
            counts[i].verifySteps += s.verifySteps;
            counts[i].k.push(s.numAssistantTokens);
            perDecode[i].push(s.tokensPerDecode);
          }
        }
        if (rep === 1 && sc.copy) {
          copied[i] = sc.copy.tokens ? commonPrefix(tokens, sc.copy.tokens) : commonPrefix(r.text, sc.copy.text!);
        }
        if (rep > 0) {
          ms[i].push(r.timings.generationMs);
          paired[i].push(plainMs / r.timings.generationMs);
        }
      }
    }
    const variants = sc.variants.map((v, i): VariantResult => ({
      name: v.name,
      ms: stat(ms[i]),
      pairedSpeedUp: stat(paired[i]),
      drafted: counts[i].drafted,
      accepted: counts[i].accepted,
      acceptanceRate: v.spec ? (counts[i].drafted > 0 ? counts[i].accepted / counts[i].drafted : 0) : null,
      verifySteps: counts[i].verifySteps,
      tokensPerDecode: v.spec ? stat(perDecode[i]) : null,
      numAssistantTokens: counts[i].k,
      copied: copied[i],
    }));
    const { context: _c, variants: _v, copy: _y, input: _i, ...rest } = sc;
    results.push({ ...rest, promptTokens, variants });
    console.log(`${sc.id}: ${((Date.now() - t0) / 1000).toFixed(0)} s; ` + variants.map((v) => `${v.name} ${v.ms.median.toFixed(0)} ms`).join(', '));
  }

  storiesCtx.dispose();
  f16Ctx.dispose();
  f16QuietCtx.dispose();
  for (const m of [stories, storiesDraft, f16, q8, twoLayers, q8Quiet, twoLayersQuiet]) m?.dispose();
  rmSync(tmp, { recursive: true, force: true });

  const machine = machineInfo(source, loadBefore);
  const command = `npx tsx bench/speculative.ts --reps ${reps} --threads ${threads} --tokens ${steps}${skipSlow ? ' --skip-slow' : ''}`;
  const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);
  const speedUp = (plainMs: Stat, v: VariantResult): string => `${(plainMs.median / v.ms.median).toFixed(2)}× (${ts(v.pairedSpeedUp, 2)})`;
  const table = (section: Scenario['section'], withDraft: boolean): string[] => {
    const rows: string[][] = [];
    for (const sc of results.filter((r) => r.section === section)) {
      const plainMs = sc.variants[0].ms;
      for (const v of sc.variants) {
        rows.push([
          ...(withDraft ? [sc.target, sc.draft!] : [sc.target, `${sc.prompt} (${sc.promptTokens} tokens)`]),
          sc.mode,
          v.name,
          ts(v.ms, 0),
          ts(stat(v.ms.samples.map((x) => (steps * 1000) / x)), 0),
          v === sc.variants[0] ? '1.00×' : speedUp(plainMs, v),
          pct(v.acceptanceRate),
          v.tokensPerDecode ? v.tokensPerDecode.median.toFixed(2) : '1',
          ...(withDraft ? [v.numAssistantTokens.length ? [...new Set(v.numAssistantTokens)].join(', ') : '–'] : [v.copied === null ? '–' : String(v.copied)]),
        ]);
      }
    }
    return mdTable(
      [
        'target', withDraft ? 'draft' : 'prompt', 'decoding', 'variant', 'generation ms', 'tokens/s', 'speed-up: plain ms / this (per-rep pairs)',
        'acceptance', 'tokens / target decode', withDraft ? 'k at the end' : 'copied',
      ],
      ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', withDraft ? 'r' : 'r'],
      rows,
    );
  };
  const md = [
    `### Results: \`${command}\``,
    '',
    `${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}; ${codeLine(machine)}; ${threads} threads, ` +
      `${steps} new tokens per run (EOS ignored), ${reps} runs per variant after a warm-up, variants of a row group interleaved run by run; ` +
      `load average ${machine.loadAverage.before.join(' / ')} before, ${machine.loadAverage.after.join(' / ')} after; ` +
      `the run took ${((Date.now() - started) / 60000).toFixed(1)} min. Greedy: every speculative output checked token for token against plain greedy ` +
      `(and prompt lookup's drafted / accepted / verifySteps against a simulation of transformers' prompt lookup over it). ` +
      `Sampling: temperature ${SAMPLING.temperature}, top_k ${SAMPLING.top_k}, seed 1000 + run on both sides (outputs differ: only the acceptance is comparable). ` +
      `Acceptance: accepted / drafted over all timed runs; tokens / target decode: median of \`speculative.tokensPerDecode\`.`,
    '',
    '**(a) Prompt lookup** (`prompt_lookup_num_tokens` 10 or 3, `max_matching_ngram_size` 2). *copied*: the leading output that goes on with the input ' +
      'verbatim (characters of the story for stories260K, tokens of the random sequence for the 100M), first timed run.',
    '',
    ...table('lookup', false),
    '',
    '**(b) Draft model** (`assistant_model`, `assistant_confidence_threshold` 0, so every step drafts k tokens; the heuristic schedule starts at 4 ' +
      'and carries its value from call to call, as in transformers).',
    '',
    ...table('draft', true),
    '',
    '**Thread polling.** The draft\'s context, made by the target\'s, has its own thread pool with the default `threadPolling` 50; ' +
      'here both contexts get `threadPolling: 0` (the draft model\'s `createContext` wrapped), plain decoding too:',
    '',
    ...table('polling', true),
    '',
    ...(busyWarning(loadBefore) ? [`> ${busyWarning(loadBefore)}`, ''] : []),
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'speculative.md'), md + '\n');
  writeFileSync(join(RESULTS, 'speculative.json'), JSON.stringify({ machine, command, sampling: SAMPLING, results }, null, 2) + '\n');
  console.log(md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
