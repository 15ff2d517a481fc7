/**
 * The grammar engine (native/grammar/) against llama.cpp's own grammar
 * sampler, through the same public path (the native sampler's processed
 * scores): at every step the set of -inf scores must be identical, on every
 * vocabulary in vendor/llama.cpp/models, for the bundled grammars, JSON-schema
 * grammars, random grammars and lazy grammars, along random token histories
 * that favour what makes engines differ: tokens ending inside a UTF-8
 * character (and their continuations), structural tokens, end-of-generation
 * tokens, tokens named by <[id]>.
 *
 * One difference is by design: llama.cpp's decoder lets invalid UTF-8 through
 * (overlong forms, encoded surrogates, lead bytes F5-FF, code points past
 * U+10FFFF, a non-continuation byte inside a sequence) and lets the text end
 * inside a character; ours refuses both (native/grammar/Utf8.h). So the tokens
 * whose bytes, after the partial character the history ends in, cannot be
 * valid UTF-8 (and the end-of-generation tokens while a character is
 * incomplete) are taken out of llama.cpp's allowed set before the comparison
 * (counted in the summary); every other token must get the same verdict.
 *
 * GRAMMAR_EXACTNESS=full runs more grammars and longer histories.
 */
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonSchemaToGbnf, loadModel, type Model } from '../../lib/index';
import { nativeModelOf } from '../../lib/model';
import { planChain, type ChainPlan } from '../../lib/sampling/plan';
import { buildNativeSampler } from '../../lib/sampling/sampler';
import type { NativeSampler } from '../../lib/native';
import { ROOT } from '../support/models';
import { mulberry32 } from '../support/random';
import { randomGrammar } from '../support/random-grammar';

const FULL = process.env.GRAMMAR_EXACTNESS === 'full';
const RANDOM_GRAMMARS = FULL ? 40 : 8;
const STEPS = FULL ? 24 : 10;
/** A history stops when llama.cpp takes longer than this for one step (mask or accept). */
const SLOW_MS = 5000;

const MODELS = join(ROOT, 'vendor', 'llama.cpp', 'models');
const VOCABS = readdirSync(MODELS).filter((f) => /^ggml-vocab-.*\.gguf$/.test(f)).sort();

const TOOL_SCHEMA = {
  type: 'object',
  properties: {
    name: { enum: ['get_weather', 'search_flights', 'créer_note'] },
    arguments: {
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1 },
        date: { type: 'string', format: 'date' },
        units: { enum: ['celsius', 'fahrenheit'] },
        legs: {
          type: 'array',
          items: { type: 'object', properties: { from: { type: 'string' }, at: { type: 'string', format: 'date-time' }, seats: { type: 'integer', minimum: 1 } }, required: ['from'] },
          maxItems: 3,
        },
        id: { type: 'string', format: 'uuid' },
      },
      required: ['city'],
    },
  },
  required: ['name', 'arguments'],
};

function fixedGrammars(): [string, string][] {
  const dir = join(ROOT, 'vendor', 'llama.cpp', 'grammars');
  const out: [string, string][] = readdirSync(dir)
    .filter((f) => f.endsWith('.gbnf'))
    .sort()
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
  const schemas: [string, object][] = [
    ['tool call', TOOL_SCHEMA],
    ['any object', { type: 'object' }],
    ['strings', { type: 'object', properties: { s: { type: 'string', maxLength: 5 }, p: { type: 'string', pattern: '^[a-zé]{2,4}-[0-9]+$' } }, required: ['s', 'p'] }],
    ['numbers', { type: 'array', items: { type: 'number', minimum: -10, maximum: 1000 }, minItems: 1, maxItems: 4 }],
  ];
  for (const [name, schema] of schemas) out.push([`json_schema ${name}`, jsonSchemaToGbnf(schema)]);
  return FULL ? out : out.filter(([name]) => /json\.gbnf|json_arr|arithmetic|japanese|chess|json_schema (tool|any|strings)/.test(name));
}

/** Per-vocabulary token facts the picker uses. */
interface VocabInfo {
  size: number;
  partialEnd: Set<number>; // pieces ending inside a UTF-8 sequence
  structural: Set<number>; // pieces of ASCII punctuation / whitespace only
  eog: Set<number>;
  named: number[]; // tokens random grammars may name with <[id]>
  pieces: Uint8Array[]; // as the grammar reads them: up to the first NUL byte
  validFresh: boolean[]; // piece is valid UTF-8 from a fresh state (its end possibly incomplete)
}

/**
 * Whether `bytes` is well-formed UTF-8 (the Unicode standard's table 3-7), its
 * last character possibly incomplete but still able to become valid.
 */
function validUtf8Prefix(bytes: ArrayLike<number>): boolean {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf; // the range of the second byte
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return false;
    for (let k = 1; k <= n; k++) {
      if (i + k >= bytes.length) return true;
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return false;
    }
    i += n + 1;
  }
  return true;
}

/** The bytes of the character `bytes` ends inside of ([] when it ends on a complete one). */
function trailingPartial(bytes: ArrayLike<number>): number[] {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back]!;
    if (b < 0x80) return [];
    if (b >= 0xc0) return back < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) ? Array.from(bytes).slice(bytes.length - back) : [];
  }
  return [];
}

function endsInsideCharacter(piece: Uint8Array): boolean {
  for (let back = 1; back <= Math.min(4, piece.length); back++) {
    const b = piece[piece.length - back]!;
    if (b < 0x80) return false;
    if (b >= 0xc0) return back < (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2);
  }
  return false;
}

function vocabInfo(model: Model): VocabInfo {
  const info: VocabInfo = { size: model.vocabSize, partialEnd: new Set(), structural: new Set(), eog: new Set(), named: [], pieces: [], validFresh: [] };
  for (let t = 0; t < model.vocabSize; t++) {
    const piece = model.tokenToPiece(t, { special: true });
    const nul = piece.indexOf(0);
    const read = nul < 0 ? piece : piece.subarray(0, nul);
    info.pieces.push(read);
    info.validFresh.push(validUtf8Prefix(read));
    if (model.isEog(t)) info.eog.add(t);
    if (piece.length > 0 && endsInsideCharacter(piece)) info.partialEnd.add(t);
    if (piece.length > 0 && piece.every((b) => b < 0x80 && !/[A-Za-z0-9]/.test(String.fromCharCode(b)))) info.structural.add(t);
  }
  for (const text of ['a', '{', ' ', '"', 'é']) {
    const ids = model.tokenize(text, { addSpecial: false });
    if (ids.length === 1) info.named.push(ids[0]!);
  }
  return info;
}

interface Counts {
  masks: number;
  partialMasks: number;
  lazyWaiting: number;
  runs: number;
  allowedTotal: number;
  slow: number;
  greedy: number;
  greedyFirst: number;
  refusedAccepts: number;
  invalidUtf8: number;
}

const totals = new Map<string, Counts>();
afterAll(() => {
  const sum = (k: keyof Counts): number => [...totals.values()].reduce((n, c) => n + c[k], 0);
  console.log(
    `grammar engine exactness: ${totals.size} vocabularies, ${sum('runs')} grammar runs, ${sum('masks')} masks compared ` +
      `(${sum('partialMasks')} after a token ending inside a character, ${sum('lazyWaiting')} of a lazy grammar before its trigger), ` +
      `${sum('allowedTotal')} allowed token verdicts; ${sum('greedy')} greedy picks equal (${sum('greedyFirst')} where the raw argmax was allowed, ` +
      `${sum('greedy') - sum('greedyFirst')} after the mask); ${sum('refusedAccepts')} tokens both engines refused to accept after allowing them; ` +
      `${sum('invalidUtf8')} verdicts where llama.cpp allowed invalid UTF-8 and ours refused it; ` +
      `${sum('slow')} histories stopped where llama.cpp took over ${SLOW_MS / 1000} s a step`,
  );
});

function withEngine(plan: ChainPlan, engine: string): ChainPlan {
  return { ...plan, stages: plan.stages.map((s) => (s.kind === 'grammar' ? { ...s, engine } : s)) };
}

/** Runs both engines along one random history; fails at the first step whose -inf sets differ. */
function compare(model: Model, info: VocabInfo, plan: ChainPlan, random: () => number, counts: Counts, label: string, force?: Map<number, number>): void {
  const started = performance.now();
  if (process.env.GRAMMAR_EXACTNESS_TRACE) appendFileSync(process.env.GRAMMAR_EXACTNESS_TRACE, `${label} ...\n`);
  const handle = nativeModelOf(model);
  const ours: NativeSampler = buildNativeSampler(withEngine(plan, 'llama-generate'), handle, new Int32Array(0), 0);
  const ref: NativeSampler = buildNativeSampler(withEngine(plan, 'llama.cpp'), handle, new Int32Array(0), 0);
  const logits = new Float32Array(info.size);
  let partial = false;
  let pending: number[] = []; // the bytes of the character the history ends inside of
  const lazy = plan.stages.some((s) => s.kind === 'grammar' && s.lazy === true);
  const history: number[] = [];
  try {
    for (let step = 0; step < STEPS; step++) {
      // small integer logits: ties, so the greedy check below also checks the tie-break (lowest id)
      for (let t = 0; t < info.size; t++) logits[t] = Math.floor(random() * 3);
      const before = performance.now();
      const expected = ref.apply(logits, 0, 1);
      if (performance.now() - before > SLOW_MS) {
        counts.slow++; // llama.cpp's own evaluation is too slow to go on (an exponentially ambiguous grammar)
        break;
      }
      const actual = ours.apply(logits, 0, 1);
      // A lazy grammar before its trigger constrains nothing, in either engine.
      const waiting = lazy && !expected.includes(-Infinity);
      const allowed: number[] = [];
      for (let t = 0; t < info.size; t++) {
        let r = expected[t] === -Infinity;
        let invalid = false;
        if (!r && !waiting) {
          // llama.cpp allows it: ours refuses it if and only if its bytes after the partial character cannot
          // be valid UTF-8 (an end-of-generation token: if the text would end inside a character)
          if (info.eog.has(t)) invalid = pending.length > 0;
          else invalid = pending.length === 0 ? !info.validFresh[t] : !validUtf8Prefix([...pending, ...info.pieces[t]!]);
          if (invalid) r = true;
        }
        if (r !== (actual[t] === -Infinity)) {
          const piece = JSON.stringify(Buffer.from(model.tokenToPiece(t, { special: true })).toString('latin1'));
          const verdict = invalid ? 'allows it (invalid UTF-8 after the partial character, to be refused)' : r ? 'rejects it' : 'allows it';
          expect.fail(
            `${label}: step ${step}, token ${t} ${piece}: llama.cpp ${verdict}, ours does not (partial ${JSON.stringify(pending)}, history ${JSON.stringify(history)})`,
          );
        }
        if (invalid) counts.invalidUtf8++;
        if (!r) allowed.push(t);
      }
      counts.masks++;
      counts.allowedTotal += allowed.length;
      // Greedy: our chain checks the raw argmax against the grammar first (Chain::Sample); the token
      // must be the argmax of llama.cpp's masked scores (lowest id among equal scores; 0 when none is left).
      let best = -1;
      for (const t of allowed) if (best < 0 || expected[t]! > expected[best]!) best = t;
      let raw = 0;
      for (let t = 1; t < info.size; t++) if (logits[t]! > logits[raw]!) raw = t;
      expect(ours.sample(logits, false), `${label}: greedy at step ${step} (history ${JSON.stringify(history)})`).toBe(Math.max(best, 0));
      counts.greedy++;
      if (raw === best) counts.greedyFirst++;
      if (partial) counts.partialMasks++;
      if (allowed.length === info.size) counts.lazyWaiting++;
      if (allowed.length === 0) break;
      const forced = force?.get(step);
      let token: number;
      if (forced !== undefined) {
        token = forced;
      } else {
        const r = random();
        const from = (set: Set<number>): number[] => allowed.filter((t) => set.has(t));
        const pool =
          r < 0.3 ? from(info.partialEnd) : r < 0.38 ? from(info.eog) : r < 0.75 ? from(info.structural) : r < 0.8 ? allowed.filter((t) => info.named.includes(t)) : allowed;
        const choices = pool.length > 0 ? pool : allowed;
        token = choices[Math.floor(random() * choices.length)]!;
      }
      if (info.eog.has(token) && allowed.length < info.size && allowed.every((t) => info.eog.has(t))) break; // only the end is left
      history.push(token);
      let refError: unknown;
      const acceptStart = performance.now();
      try {
        ref.accept(token);
      } catch (err) {
        refError = err;
      }
      if (refError === undefined && performance.now() - acceptStart > SLOW_MS) {
        counts.slow++; // llama.cpp's stacks multiply (an exponentially ambiguous grammar): its next steps take longer still
        break;
      }
      if (refError !== undefined) {
        // llama.cpp's accept can refuse a token its own mask allowed (a token element reached inside a
        // token: the mask takes it by id, the accept walks its characters): ours refuses it too.
        expect(() => ours.accept(token), `${label}: llama.cpp refused token ${token} (${String(refError)})`).toThrow(/grammar rejected token/);
        counts.refusedAccepts++;
        break;
      }
      ours.accept(token);
      partial = info.partialEnd.has(token);
      pending = info.eog.has(token) ? pending : trailingPartial([...pending, ...info.pieces[token]!]);
    }
  } finally {
    ours.dispose();
    ref.dispose();
  }
  counts.runs++;
  if (process.env.GRAMMAR_EXACTNESS_TRACE) {
    appendFileSync(process.env.GRAMMAR_EXACTNESS_TRACE, `${label.split('\n')[0]}: ${(performance.now() - started).toFixed(0)} ms, rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`);
  }
}

describe.each(VOCABS)('grammar engine = llama.cpp on %s', (file) => {
  it('bundled, JSON-schema, random and lazy grammars, random histories', async () => {
    const model = await loadModel(join(MODELS, file), { vocabOnly: true });
    try {
      const info = vocabInfo(model);
      const counts: Counts = { masks: 0, partialMasks: 0, lazyWaiting: 0, runs: 0, allowedTotal: 0, slow: 0, greedy: 0, greedyFirst: 0, refusedAccepts: 0, invalidUtf8: 0 };
      totals.set(file, counts);
      const random = mulberry32(0x5eed + file.length * 7919);
      const vocabSize = model.vocabSize;
      for (const [name, grammar] of fixedGrammars()) {
        compare(model, info, planChain({ grammar }, { vocabSize }), random, counts, `${file} ${name}`);
      }
      for (let i = 0; i < RANDOM_GRAMMARS; i++) {
        const grammar = randomGrammar(random, info.named);
        compare(model, info, planChain({ grammar }, { vocabSize }), random, counts, `${file} random grammar ${i}:\n${grammar}\n`);
      }
      // Lazy: nothing constrained until the trigger word, then the grammar from the word on
      // (a token that holds the word in its middle replays only its rest).
      const brace = model.tokenize('{', { addSpecial: false });
      const xBrace = model.tokenize('ab{', { addSpecial: false });
      const json = readFileSync(join(ROOT, 'vendor', 'llama.cpp', 'grammars', 'json.gbnf'), 'utf8');
      for (const trigger of [brace, xBrace]) {
        if (trigger.length === 0) continue;
        const plan = planChain({ grammar: json, grammar_lazy: true, grammar_trigger_words: ['{'] }, { vocabSize });
        const force = new Map<number, number>();
        trigger.forEach((t, k) => force.set(2 + k, t));
        compare(model, info, plan, random, counts, `${file} lazy json.gbnf (trigger ${JSON.stringify([...trigger])})`, force);
      }
      expect(counts.masks).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  }, 600_000);
});
