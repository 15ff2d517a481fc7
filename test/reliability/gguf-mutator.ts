/**
 * GGUF mutator: mutants of stories260K (and of a synthetic BPE model from
 * test/support/random-llama.ts) loaded in child processes, many per child.
 * Mutations: byte flips, truncation at every header / metadata / tensor-info
 * boundary, huge counts and string lengths, wrong value and tensor types,
 * offsets and shapes, duplicate vocabulary entries, and semantic edits of
 * every `<arch>.*` / `tokenizer.*` / `general.*` key llama.cpp knows (0,
 * negative, NaN, huge, wrong type, removed). Each load goes on to a context, an
 * evaluation and a short generation. Crashes are minimised (fewest edits) and
 * saved as recipes in test/fixtures/reliability/, replayed first on every run.
 *
 * Also a command: `npx tsx test/reliability/gguf-mutator.ts --write <recipe.json> <out.gguf>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../support/random';
import { ROOT, runItems, type Item } from './child';
import {
  applyRecipe, describeEdit, loadBase, serialize, STORIES_PATH, T, TINY_BPE_OPTIONS,
  type BaseName, type Edit, type Gguf, type Layout, type Recipe, type RecipeValue, type ScalarName,
} from './gguf-codec';
import { describeOutcome, outcomeLabel, Tally, type Anomaly, type ComponentReport, type Outcome } from './report';
import type { ComponentOptions } from './run';

export const FIXTURE_DIR = join(ROOT, 'test', 'fixtures', 'reliability');

/** A saved crasher (or hang): the recipe, what it did when found, and whether it is still open. */
export interface GgufFixture extends Recipe {
  kind: 'gguf';
  found: string;
  outcome: string;
  detail: string;
  status: 'open' | 'fixed';
}

interface Mutant {
  category: string;
  recipe: Recipe;
}

function hexU64(n: bigint | number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
  return b.toString('hex');
}

function hexU32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b.toString('hex');
}

function readU64(bytes: Buffer, at: number): bigint {
  return bytes.readBigUInt64LE(at);
}

/** Every key llama.cpp reads for `arch`, from vendor/llama.cpp/src/llama-arch.cpp (a built-in list without it). */
function llamaCppKeys(arch: string): string[] {
  const file = join(ROOT, 'vendor', 'llama.cpp', 'src', 'llama-arch.cpp');
  if (!existsSync(file)) {
    return [
      'general.alignment', 'general.file_type', 'general.quantization_version', 'tokenizer.ggml.pre', 'tokenizer.ggml.merges',
      'tokenizer.ggml.add_bos_token', 'tokenizer.ggml.add_eos_token', 'tokenizer.ggml.add_space_prefix', 'tokenizer.chat_template',
      ...['vocab_size', 'attention.key_length', 'attention.value_length', 'rope.freq_base', 'rope.freq_scale', 'rope.scaling.type',
        'rope.scaling.factor', 'expert_count', 'expert_used_count', 'attention.causal', 'pooling_type', 'attention.sliding_window', 'logit_scale']
        .map((k) => `${arch}.${k}`),
    ];
  }
  const text = readFileSync(file, 'utf8');
  const keys = new Set<string>();
  for (const m of text.matchAll(/\{\s*LLM_KV_\w+,\s*"([^"]+)"\s*\}/g)) keys.add(m[1].replace('%s', arch));
  return [...keys].filter((k) => !k.includes('%'));
}

/** Architectures llama.cpp knows, from llama-arch.cpp. */
function llamaCppArchitectures(): string[] {
  const file = join(ROOT, 'vendor', 'llama.cpp', 'src', 'llama-arch.cpp');
  if (!existsSync(file)) return ['gpt2', 'bert', 'mamba', 't5', 'qwen2', 'gemma3', 'rwkv6', 'falcon', 'phi3', 'llama4'];
  const text = readFileSync(file, 'utf8');
  return [...new Set([...text.matchAll(/\{\s*LLM_ARCH_\w+,\s*"([^"]+)"\s*\}/g)].map((m) => m[1]))].filter((a) => a !== 'llama');
}

const TOKENIZER_MODELS = ['', 'none', 'no_vocab', 'bert', 'gpt2', 't5', 'rwkv', 'plamo2', 'gemma4', 'test', 'hybriddna', 'whitespace', 'unknown-model'];
const PRE_TOKENIZERS = ['', 'default', 'llama3', 'gpt-2', 'qwen2', 'tekken', 'superbpe', 'unknown-pre'];

/** The wrong values tried for a key, by what it holds now (absent keys get numbers and strings). */
function valuesFor(key: string, current: { type: number; itemType?: number; length?: number } | undefined): RecipeValue[] {
  const numbers: RecipeValue[] = [
    { t: 'u32', v: 0 }, { t: 'i32', v: -1 }, { t: 'u32', v: 0xffffffff }, { t: 'u32', v: 0x7fffffff },
    { t: 'u64', v: '18446744073709551615' }, { t: 'i64', v: '-9223372036854775808' },
    { t: 'f32', v: 'NaN' }, { t: 'f32', v: '-1' }, { t: 'f32', v: 'Infinity' }, { t: 'f64', v: '1e308' },
    { t: 'u32', v: 1 }, { t: 'u8', v: 255 },
  ];
  const wrongTypes: RecipeValue[] = [
    { t: 'string', v: 'x' }, { t: 'bool', v: true }, { t: 'array', item: 'u32', v: [0, 1] }, { t: 'array', item: 'string', v: ['a'] },
    { t: 'array', item: 'f32', v: [] },
  ];
  if (key === 'tokenizer.ggml.model') return [...TOKENIZER_MODELS.map((v): RecipeValue => ({ t: 'string', v })), { t: 'u32', v: 1 }];
  if (key === 'tokenizer.ggml.pre') return [...PRE_TOKENIZERS.map((v): RecipeValue => ({ t: 'string', v })), { t: 'u32', v: 1 }];
  if (key === 'general.architecture') return [{ t: 'string', v: '' }, { t: 'string', v: 'x'.repeat(4000) }, { t: 'u32', v: 1 }];
  if (key === 'general.alignment') return [0, 1, 3, 8, 16, 31, 64, 4096, 0x80000000].map((v): RecipeValue => ({ t: 'u32', v })).concat([{ t: 'u64', v: 32 }]);
  if (key === 'tokenizer.ggml.precompiled_charsmap') {
    return [{ t: 'array', item: 'u8', v: [] }, { t: 'array', item: 'u8', v: [255, 255, 255, 255, 1, 2, 3] }, { t: 'array', item: 'u8', v: [4, 0, 0, 0, 1, 2] }];
  }
  if (key === 'tokenizer.ggml.merges') {
    return [{ t: 'array', item: 'string', v: [] }, { t: 'array', item: 'string', v: ['a'] }, { t: 'array', item: 'string', v: ['a b c', ' ', ''] }, { t: 'array', item: 'u32', v: [1] }];
  }
  if (key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template')) {
    return [{ t: 'string', v: '' }, { t: 'string', v: '{% for' }, { t: 'string', v: '{{'.repeat(2000) }, { t: 'u32', v: 7 }];
  }
  if (current?.type === T.string) return [{ t: 'string', v: '' }, { t: 'string', v: '\u0000\uffff' }, { t: 'string', v: 'y'.repeat(4000) }, ...numbers.slice(0, 3)];
  if (current?.type === T.array) {
    // arrays of per-layer values (head counts...) and lists
    const n = current.length ?? 0;
    return [
      { t: 'array', item: 'u32', v: [] }, { t: 'array', item: 'u32', v: Array(Math.max(1, n)).fill(0) }, { t: 'array', item: 'i32', v: Array(Math.max(1, n)).fill(-1) },
      { t: 'array', item: 'f32', v: ['NaN'] }, { t: 'u32', v: 0 }, { t: 'string', v: 'x' },
    ];
  }
  return [...numbers, ...wrongTypes];
}

/** Per-array mutations of the vocabulary arrays: lengths, item types, odd elements. */
function arrayEdits(g: Gguf, rand: () => number): Mutant[] {
  const out: Mutant[] = [];
  for (const kv of g.kvs) {
    if (kv.type !== T.array) continue;
    const n = (kv.value as unknown[]).length;
    const key = kv.key;
    const edit = (category: string, edits: Edit[]): void => void out.push({ category, recipe: { base: 'stories260K', edits } });
    for (const length of [0, 1, 2, n - 1, n + 1, n + 100]) edit('array length', [{ op: 'array-length', key, length }]);
    for (const item of ['u32', 'i32', 'f32', 'string', 'u8', 'bool'] as ScalarName[]) edit('array item type', [{ op: 'array-item-type', key, item }]);
    const picks = [0, 1, 2, 3, n - 1, Math.floor(rand() * n)];
    const values: Array<string | number> = kv.itemType === T.string
      ? ['', '\u0000', 'z'.repeat(70000), '\ud800', '<0xZZ>', '<0x0A>', '▁']
      : kv.itemType === T.f32 ? ['NaN', 'Infinity', '-Infinity', '-1e38', '3.4e38'] : [0, 1, 2, 3, 4, 5, 6, 7, 8, 255, -1, 0x7fffffff];
    for (const index of picks) for (const value of values) edit('array element', [{ op: 'array-set', key, index, value }]);
  }
  return out;
}

/** Duplicate token texts: token j gets token i's text. */
function duplicateTokens(g: Gguf, rand: () => number, count: number): Mutant[] {
  const tokens = g.kvs.find((kv) => kv.key === 'tokenizer.ggml.tokens')?.value as string[] | undefined;
  if (!tokens) return [];
  const out: Mutant[] = [];
  for (let k = 0; k < count; k++) {
    const i = Math.floor(rand() * tokens.length);
    let j = Math.floor(rand() * tokens.length);
    if (j === i) j = (j + 1) % tokens.length;
    out.push({ category: 'duplicate token', recipe: { base: 'stories260K', edits: [{ op: 'array-set', key: 'tokenizer.ggml.tokens', index: j, value: tokens[i] }] } });
  }
  return out;
}

/** Byte-level mutations of every field of the layout. */
function fieldEdits(base: BaseName, bytes: Buffer, layout: Layout): Mutant[] {
  const out: Mutant[] = [];
  const write = (category: string, at: number, hex: string): void => void out.push({ category, recipe: { base, edits: [{ op: 'write', at, hex }] } });
  const dataBytes = layout.size - layout.dataOffset;
  for (const f of layout.fields) {
    if (f.kind === 'count' || f.kind === 'strlen') {
      const v = readU64(bytes, f.at);
      for (const n of [2n ** 64n - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 32n, 2n ** 31n, BigInt(layout.size), v + 1n, v > 0n ? v - 1n : 0n, 0n]) {
        if (n !== v) write(f.kind === 'count' ? 'huge count' : 'huge string length', f.at, hexU64(n));
      }
    } else if (f.kind === 'type') {
      const v = bytes.readUInt32LE(f.at);
      for (const n of [0, 1, 4, 5, 6, 7, 8, 9, 10, 12, 13, 255, 0xffffffff]) if (n !== v) write('value type', f.at, hexU32(n));
    } else if (f.kind === 'ttype') {
      for (const n of [1, 2, 3, 6, 8, 10, 12, 14, 16, 20, 23, 29, 30, 34, 35, 39, 40, 41, 100, 0x7fffffff, 0xffffffff]) write('tensor type', f.at, hexU32(n));
    } else if (f.kind === 'ndims') {
      for (const n of [0, 1, 2, 3, 4, 5, 0xffffffff]) if (n !== bytes.readUInt32LE(f.at)) write('tensor dimensions', f.at, hexU32(n));
    } else if (f.kind === 'dim') {
      const v = readU64(bytes, f.at);
      for (const n of [0n, 1n, 3n, v * 2n, v + 1n, 2n ** 31n, 2n ** 32n, 2n ** 62n, 2n ** 63n, 2n ** 64n - 1n]) if (n !== v) write('tensor shape', f.at, hexU64(n));
    } else if (f.kind === 'toffset') {
      const v = readU64(bytes, f.at);
      for (const n of [v + 1n, v + 31n, v + 32n, 0n, BigInt(dataBytes), BigInt(dataBytes) - 4n, BigInt(dataBytes) + 1000000n, 2n ** 63n, 2n ** 64n - 1n]) {
        if (n !== v) write('tensor offset', f.at, hexU64(n));
      }
    } else if (f.kind === 'version') {
      for (const n of [0, 1, 2, 4, 0x03000000, 0xffffffff]) write('version', f.at, hexU32(n));
    } else if (f.kind === 'magic') {
      write('magic', f.at, Buffer.from('GGUG').toString('hex'));
      write('magic', f.at, '00000000');
    }
  }
  return out;
}

function truncations(base: BaseName, layout: Layout): Mutant[] {
  const points = new Set<number>([0, 1, 3, 4, 8, 16, 23, 24, layout.size - 1, layout.dataOffset - 1, layout.dataOffset + 1]);
  for (const b of layout.boundaries) {
    points.add(b.at);
    points.add(b.at + 1);
  }
  for (let k = 1; k < 16; k++) points.add(layout.dataOffset + Math.floor(((layout.size - layout.dataOffset) * k) / 16));
  return [...points].filter((p) => p >= 0 && p < layout.size).sort((a, b) => a - b)
    .map((length) => ({ category: 'truncation', recipe: { base, edits: [{ op: 'truncate', length }] } }));
}

function semanticEdits(base: BaseName, g: Gguf, arch: string): Mutant[] {
  const out: Mutant[] = [];
  const present = new Map(g.kvs.map((kv) => [kv.key, { type: kv.type, itemType: kv.itemType, length: Array.isArray(kv.value) ? kv.value.length : undefined }]));
  const keys = new Set([...present.keys(), ...llamaCppKeys(arch)]);
  for (const key of keys) {
    const current = present.get(key);
    if (current?.type === T.array && (key === 'tokenizer.ggml.tokens' || key === 'tokenizer.ggml.scores' || key === 'tokenizer.ggml.token_type')) {
      out.push({ category: 'key removed', recipe: { base, edits: [{ op: 'kv-remove', key }] } });
      continue; // the vocabulary arrays get their own edits
    }
    for (const value of valuesFor(key, current)) out.push({ category: current ? 'key value' : 'key added', recipe: { base, edits: [{ op: 'kv-set', key, value }] } });
    if (current) out.push({ category: 'key removed', recipe: { base, edits: [{ op: 'kv-remove', key }] } });
  }
  return out;
}

function architectureEdits(base: BaseName): Mutant[] {
  const out: Mutant[] = [];
  for (const arch of llamaCppArchitectures()) {
    const set: Edit = { op: 'kv-set', key: 'general.architecture', value: { t: 'string', v: arch } };
    out.push({ category: 'architecture', recipe: { base, edits: [set] } });
    out.push({ category: 'architecture + keys', recipe: { base, edits: [set, { op: 'kv-rename-prefix', from: 'llama.', to: `${arch}.` }] } });
  }
  return out;
}

function tensorEdits(base: BaseName, g: Gguf): Mutant[] {
  const out: Mutant[] = [];
  for (const t of g.tensors) {
    out.push({ category: 'tensor removed', recipe: { base, edits: [{ op: 'tensor-remove', name: t.name }] } });
    out.push({ category: 'tensor duplicated', recipe: { base, edits: [{ op: 'tensor-duplicate', name: t.name }] } });
    out.push({ category: 'tensor shape', recipe: { base, edits: [{ op: 'tensor-set', name: t.name, dims: [...t.dims].reverse().map(String) }] } });
  }
  return out;
}

function randomFlips(base: BaseName, layout: Layout, rand: () => number, count: number): Mutant[] {
  const out: Mutant[] = [];
  for (let k = 0; k < count; k++) {
    const n = rand() < 0.6 ? 1 : 2 + Math.floor(rand() * 7);
    const edits: Edit[] = [];
    for (let i = 0; i < n; i++) {
      const inHeader = rand() < 0.8;
      const at = inHeader ? Math.floor(rand() * layout.dataOffset) : layout.dataOffset + Math.floor(rand() * (layout.size - layout.dataOffset));
      if (rand() < 0.8) edits.push({ op: 'flip', at, bit: Math.floor(rand() * 8) });
      else edits.push({ op: 'write', at, hex: Math.floor(rand() * 256).toString(16).padStart(2, '0') });
    }
    out.push({ category: n === 1 ? 'byte flip' : 'byte flips', recipe: { base, edits } });
  }
  return out;
}

/** Every mutant of a run: the systematic ones in full, a stratified sample in quick, topped up with random flips. */
function mutants(bases: Record<BaseName, Gguf>, mode: 'quick' | 'full', seed: number): Mutant[] {
  const rand = mulberry32(seed);
  const stories = bases.stories260K;
  const { bytes, layout } = serialize(stories);
  const tiny = bases['tiny-bpe'];
  const tinySer = serialize(tiny);
  const systematic: Mutant[] = [
    ...truncations('stories260K', layout),
    ...fieldEdits('stories260K', bytes, layout),
    ...semanticEdits('stories260K', stories, 'llama'),
    ...architectureEdits('stories260K'),
    ...arrayEdits(stories, rand),
    ...duplicateTokens(stories, rand, 60),
    ...tensorEdits('stories260K', stories),
    ...truncations('tiny-bpe', tinySer.layout).filter((_, i) => i % 2 === 0),
    ...semanticEdits('tiny-bpe', tiny, 'llama').filter((m) => m.recipe.edits.some((e) => 'key' in e && e.key.startsWith('tokenizer.'))),
  ];
  if (mode === 'full') {
    const target = 5200;
    return [...systematic, ...randomFlips('stories260K', layout, rand, Math.max(1000, target - systematic.length))];
  }
  // quick: about 300, every category represented
  const byCategory = new Map<string, Mutant[]>();
  for (const m of systematic) byCategory.set(`${m.recipe.base} ${m.category}`, [...(byCategory.get(`${m.recipe.base} ${m.category}`) ?? []), m]);
  const picked: Mutant[] = [];
  const share = 240 / systematic.length;
  for (const list of byCategory.values()) {
    const n = Math.max(2, Math.round(list.length * share));
    for (let i = 0; i < n && list.length > 0; i++) picked.push(list.splice(Math.floor(rand() * list.length), 1)[0]);
  }
  return [...picked, ...randomFlips('stories260K', layout, rand, 60)];
}

function fixtureFiles(): string[] {
  if (!existsSync(FIXTURE_DIR)) return [];
  return readdirSync(FIXTURE_DIR).filter((f) => f.startsWith('gguf-') && f.endsWith('.json')).map((f) => join(FIXTURE_DIR, f));
}

/** The saved GGUF crashers. */
export function readFixtures(): Array<{ file: string; fixture: GgufFixture }> {
  return fixtureFiles().map((file) => ({ file, fixture: JSON.parse(readFileSync(file, 'utf8')) as GgufFixture }));
}

function recipeId(recipe: Recipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 10);
}

const isBad = (o: Outcome): boolean => o.kind === 'crash' || o.kind === 'hang' || o.kind === 'untyped';

/** Fewest edits that still give an outcome of the same kind (ddmin, one edit removed at a time). */
async function minimise(recipe: Recipe, kind: Outcome['kind'], shared: Shared, itemTimeoutMs: number): Promise<Recipe> {
  let edits = recipe.edits;
  let changed = true;
  while (changed && edits.length > 1) {
    changed = false;
    for (let i = 0; i < edits.length; i++) {
      const candidate = { base: recipe.base, edits: edits.filter((_, j) => j !== i) };
      const out = await runItems(__filename, shared, [{ id: 'min', payload: candidate }], { itemTimeoutMs, batchSize: 1, confirmAlone: false });
      if (out.get('min')?.kind === kind) {
        edits = candidate.edits;
        changed = true;
        break;
      }
    }
  }
  return { base: recipe.base, edits };
}

function reproducer(file: string): string {
  const rel = file.slice(ROOT.length + 1);
  return [
    `npx tsx test/reliability/gguf-mutator.ts --write ${rel} /tmp/mutant.gguf`,
    `node -e "require('./dist').loadModel('/tmp/mutant.gguf').then(async (m) => { const c = await m.createContext({ contextSize: 64, threads: 1 }); await c.evaluate(m.tokenize('Once upon a time')); await c.generate('Once', { max_new_tokens: 4 }).result; })"`,
  ].join('\n');
}

interface Shared {
  bases: Record<BaseName, string>;
  tmp: string;
}

export async function run(options: ComponentOptions): Promise<ComponentReport> {
  const started = performance.now();
  const { getTinyModelPath } = require('../support/random-llama') as typeof import('../support/random-llama');
  const shared: Shared = {
    bases: { stories260K: STORIES_PATH, 'tiny-bpe': await getTinyModelPath(TINY_BPE_OPTIONS) },
    tmp: options.tmp,
  };
  const bases = { stories260K: loadBase(shared.bases.stories260K), 'tiny-bpe': loadBase(shared.bases['tiny-bpe']) };
  const fixtures = readFixtures();
  const list = mutants(bases, options.mode, options.seed);
  const items: Array<Item<Recipe> & { category: string }> = [
    ...fixtures.map(({ file, fixture }) => ({ id: `fixture ${file.slice(FIXTURE_DIR.length + 1)}`, category: 'saved fixture', payload: { base: fixture.base, edits: fixture.edits } })),
    ...list.map((m, i) => ({ id: `m${i}`, category: `${m.recipe.base} ${m.category}`, payload: m.recipe })),
  ];
  options.log(`gguf: ${items.length} loads (${fixtures.length} saved fixtures)`);
  let done = 0;
  const itemTimeoutMs = 20_000;
  // saved crashers one per child (most still crash: no batch to re-run), then the mutants in batches
  const saved = items.filter((item) => item.category === 'saved fixture');
  const outcomes = await runItems(__filename, shared, saved, { itemTimeoutMs, batchSize: 1, confirmAlone: false, jobs: options.jobs });
  const fresh = await runItems(__filename, shared, items.filter((item) => item.category !== 'saved fixture'), {
    itemTimeoutMs,
    batchSize: 150,
    jobs: options.jobs,
    onOutcome: () => {
      if (++done % 500 === 0) options.log(`gguf: ${done}/${items.length}`);
    },
  });
  for (const [id, outcome] of fresh) outcomes.set(id, outcome);
  const tally = new Tally();
  const anomalies: Anomaly[] = [];
  const categories = new Map<string, Tally>();
  let minimised = 0;
  for (const item of items) {
    const outcome = outcomes.get(item.id) ?? { kind: 'hang', ms: 0, note: 'never ran' };
    const label = outcome.kind === 'ok' ? 'loaded' : outcome.kind === 'error' && outcome.message.startsWith('after load') ? `${outcome.code} after load` : outcomeLabel(outcome);
    tally.add(label);
    const cat = categories.get(item.category) ?? new Tally();
    cat.add(label);
    categories.set(item.category, cat);
    if (!isBad(outcome)) continue;
    const what = item.payload.edits.map(describeEdit).join(', ');
    let recipe = item.payload;
    let file: string | undefined;
    if (item.id.startsWith('fixture ')) {
      file = join(FIXTURE_DIR, item.id.slice('fixture '.length));
    } else if (outcome.kind !== 'untyped') {
      if (recipe.edits.length > 1 && minimised++ < 10) recipe = await minimise(recipe, outcome.kind, shared, itemTimeoutMs);
      file = join(FIXTURE_DIR, `gguf-${recipeId(recipe)}.json`);
      if (!existsSync(file)) {
        mkdirSync(FIXTURE_DIR, { recursive: true });
        const fixture: GgufFixture = {
          kind: 'gguf', base: recipe.base, edits: recipe.edits, found: new Date().toISOString().slice(0, 10),
          outcome: outcomeLabel(outcome), detail: describeOutcome(outcome).slice(0, 600), status: 'open',
        };
        writeFileSync(file, `${JSON.stringify(fixture, null, 2)}\n`);
      }
    }
    anomalies.push({
      kind: outcome.kind === 'crash' ? 'crash' : outcome.kind === 'hang' ? 'hang' : 'untyped',
      case: `${item.category}: ${recipe.edits.map(describeEdit).join(', ')}${recipe.edits.length < item.payload.edits.length ? ` (minimised from ${what})` : ''}`,
      detail: describeOutcome(outcome),
      reproducer: file ? reproducer(file) : undefined,
    });
  }
  const categoryFigure = [...categories.entries()]
    .map(([name, t]) => `${name} ${t.counts.loaded ?? 0}/${t.cases}`)
    .join(', ');
  return {
    component: 'gguf mutator',
    cases: tally.cases,
    tally: tally.counts,
    anomalies,
    figures: [
      ['GGUF loads', `${tally.cases} (${fixtures.length} saved crashers replayed)`],
      ['loaded / tried, by mutation', categoryFigure],
    ],
    seconds: (performance.now() - started) / 1000,
  };
}

// ---- child side: apply the recipe, load, then context, evaluate, generate ----

export async function childSetup(sharedRaw: unknown): Promise<(payload: unknown) => Promise<Outcome>> {
  const shared = sharedRaw as Shared;
  const { loadModel, isLlamaError } = require('../../lib/index') as typeof import('../../lib/index');
  const bases: Record<BaseName, Gguf> = { stories260K: loadBase(shared.bases.stories260K), 'tiny-bpe': loadBase(shared.bases['tiny-bpe']) };
  mkdirSync(shared.tmp, { recursive: true });
  const file = join(shared.tmp, `mutant-${process.pid}.gguf`);
  process.on('exit', () => rmSync(file, { force: true }));
  return async (payload) => {
    const recipe = payload as Recipe;
    writeFileSync(file, applyRecipe(bases[recipe.base], recipe.edits));
    const model = await loadModel(file, { gpuLayers: 0 });
    let stage = 'tokenize';
    try {
      const tokens = Array.from(model.tokenize('Once upon a time')).filter((t) => t >= 0 && t < model.vocabSize);
      stage = 'createContext';
      const context = await model.createContext({ contextSize: 64, batchSize: 64, threads: 1 });
      stage = 'evaluate';
      await context.evaluate(tokens.length > 0 ? tokens : [0]);
      stage = 'generate';
      await context.generate(tokens.length > 0 ? tokens : [0], { max_new_tokens: 4 }).result;
      stage = 'detokenize';
      model.detokenize(tokens);
      return { kind: 'ok' };
    } catch (err) {
      if (isLlamaError(err)) return { kind: 'error', code: err.code, message: `after load, ${stage}: ${err.message}` };
      throw err;
    } finally {
      model.dispose();
    }
  };
}

if (require.main === module) {
  const [flag, recipeFile, out] = process.argv.slice(2);
  if (flag !== '--write' || !recipeFile || !out) {
    console.error('usage: npx tsx test/reliability/gguf-mutator.ts --write <recipe.json> <out.gguf>');
    process.exit(2);
  }
  void (async () => {
    const recipe = JSON.parse(readFileSync(recipeFile, 'utf8')) as Recipe;
    const path = recipe.base === 'stories260K' ? STORIES_PATH : await (require('../support/random-llama') as typeof import('../support/random-llama')).getTinyModelPath(TINY_BPE_OPTIONS);
    writeFileSync(out, applyRecipe(loadBase(path), recipe.edits));
    console.log(`${out}: ${recipe.edits.map(describeEdit).join(', ')}`);
  })();
}

