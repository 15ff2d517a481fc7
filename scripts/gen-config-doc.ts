/**
 * Rewrites the generated parts of docs/generation-config.md from the library's
 * own metadata (lib/config: FIELD_INFO, DEFAULTS, ALIASES, DEFAULT_SAMPLER_ORDER),
 * so the field table cannot drift from the code. The transformers, llama.cpp
 * and OpenAI names are not in lib/config; they are the hand-written table
 * below, which the type system keeps complete (one entry per field).
 *
 * Usage: npm run docs:config            (rewrites the doc)
 *        npx tsx scripts/gen-config-doc.ts --check   (exit 1 when it is out of date)
 *
 * test/unit/config-doc.test.ts fails when the committed doc is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SAMPLER_ORDER, defaultOf } from '../lib/config/defaults';
import { ALIASES, type CanonicalField } from '../lib/config/fields';
import { FOREIGN_FIELDS } from '../lib/config/foreign';
import { FIELD_INFO, FIELD_NAMES, type ExplainStage } from '../lib/config/meta';

/** The generated doc. */
export const DOC_PATH = join(__dirname, '..', 'docs', 'generation-config.md');

/**
 * A field's names elsewhere. Each value is Markdown; a bare name (letters,
 * digits, `_ - .`) is put in backticks. Absent: no equivalent.
 */
interface Names {
  /** transformers (`GenerationConfig` field, or how transformers does it). */
  readonly transformers?: string;
  /** llama.cpp's `llama-cli` option. */
  readonly cli?: string;
  /** llama.cpp's `llama-server` request field. */
  readonly server?: string;
  /** The whole llama.cpp cell, when neither tool has an option. */
  readonly llama?: string;
  /** OpenAI API request field. */
  readonly openai?: string;
  /** What "unset" means, for fields without a default. */
  readonly unset?: string;
  /** Whether the default value turns the field's stage off. */
  readonly off?: true;
}

/** `transformers: same` — the field has transformers' name. */
const same = '=';

/** Every canonical field's names in transformers, llama.cpp and the OpenAI API. */
export const NAMES: { readonly [K in CanonicalField]: Names } = {
  logit_bias: { cli: '-l, --logit-bias', server: 'logit_bias', openai: 'logit_bias', unset: 'none' },
  sequence_bias: { transformers: same, unset: 'none' },
  repetition_penalty: { transformers: same, off: true },
  no_repeat_ngram_size: { transformers: same, off: true },
  bad_words_ids: { transformers: same, unset: 'none' },
  min_length: { transformers: same },
  min_new_tokens: { transformers: same, unset: 'none' },
  forced_bos_token_id: { transformers: same, unset: 'none' },
  forced_eos_token_id: { transformers: same, unset: 'none' },
  remove_invalid_values: { transformers: same },
  exponential_decay_length_penalty: { transformers: same, unset: 'none' },
  suppress_tokens: { transformers: same, unset: 'none' },
  begin_suppress_tokens: { transformers: same, unset: 'none' },
  grammar: { cli: '--grammar, --grammar-file', server: 'grammar', unset: 'none' },
  json_schema: {
    cli: '-j, --json-schema',
    server: 'json_schema',
    openai: '`response_format: { type: "json_schema", json_schema: { schema } }`',
    unset: 'none',
  },
  grammar_lazy: { server: 'grammar_lazy' },
  grammar_trigger_words: { server: '`grammar_triggers` (`type` word)', unset: 'none' },
  grammar_trigger_patterns: { server: '`grammar_triggers` (`type` pattern)', unset: 'none' },
  samplers: { cli: '--samplers', server: 'samplers', unset: 'the default order below' },
  repeat_penalty: { cli: '--repeat-penalty', server: 'repeat_penalty', off: true },
  frequency_penalty: { cli: '--frequency-penalty', server: 'frequency_penalty', openai: '`frequency_penalty` (no window there)', off: true },
  presence_penalty: { cli: '--presence-penalty', server: 'presence_penalty', openai: '`presence_penalty` (no window there)', off: true },
  penalty_last_n: { cli: '--repeat-last-n', server: 'repeat_last_n' },
  dry_multiplier: { cli: '--dry-multiplier', server: 'dry_multiplier', off: true },
  dry_base: { cli: '--dry-base', server: 'dry_base' },
  dry_allowed_length: { cli: '--dry-allowed-length', server: 'dry_allowed_length' },
  dry_penalty_last_n: { cli: '--dry-penalty-last-n', server: 'dry_penalty_last_n' },
  dry_sequence_breakers: { cli: '`--dry-sequence-breaker` (repeated)', server: 'dry_sequence_breakers' },
  logits_processor: { transformers: '`generate(logits_processor=...)`', unset: 'none' },
  temperature: { transformers: same, cli: '--temp', server: 'temperature', openai: 'temperature', off: true },
  dynatemp_range: { cli: '--dynatemp-range', server: 'dynatemp_range', off: true },
  dynatemp_exponent: { cli: '--dynatemp-exp', server: 'dynatemp_exponent' },
  top_k: { transformers: same, cli: '--top-k', server: 'top_k' },
  top_p: { transformers: same, cli: '--top-p', server: 'top_p', openai: 'top_p', off: true },
  min_p: { transformers: same, cli: '--min-p', server: 'min_p', unset: 'off' },
  typical_p: { transformers: same, cli: '--typical', server: 'typical_p', off: true },
  epsilon_cutoff: { transformers: same, off: true },
  eta_cutoff: { transformers: same, off: true },
  min_keep: { transformers: '`min_tokens_to_keep` (warper argument)', server: 'min_keep' },
  tfs_z: { llama: '— (removed from llama.cpp)', off: true },
  top_n_sigma: { cli: '--top-nsigma', server: 'top_n_sigma', off: true },
  xtc_probability: { cli: '--xtc-probability', server: 'xtc_probability', off: true },
  xtc_threshold: { cli: '--xtc-threshold', server: 'xtc_threshold' },
  adaptive_target: { cli: '--adaptive-target', server: 'adaptive_target', off: true },
  adaptive_decay: { cli: '--adaptive-decay', server: 'adaptive_decay' },
  renormalize_logits: { transformers: same },
  do_sample: { transformers: same, llama: '— (always samples; `--temp 0` / `temperature: 0` is greedy)', openai: '— (always samples; `temperature: 0` ≈ greedy)' },
  seed: { transformers: '`set_seed()`', cli: '-s, --seed', server: 'seed', openai: 'seed', unset: 'random' },
  mirostat: { cli: '--mirostat', server: 'mirostat', off: true },
  mirostat_tau: { cli: '--mirostat-ent', server: 'mirostat_tau' },
  mirostat_eta: { cli: '--mirostat-lr', server: 'mirostat_eta' },
  max_new_tokens: {
    transformers: same, cli: '-n, --n-predict', server: 'n_predict', openai: '`max_tokens`, `max_completion_tokens`', unset: '`max_length` applies',
  },
  max_length: { transformers: same },
  max_time: { transformers: same, server: '`t_max_predict_ms` (milliseconds)', unset: 'no limit' },
  stop_strings: { transformers: same, cli: '`-r, --reverse-prompt` (interactive)', server: 'stop', openai: 'stop', unset: 'none' },
  eos_token_id: { transformers: same, unset: "the model's end-of-generation tokens" },
  ignore_eos: { cli: '--ignore-eos', server: 'ignore_eos' },
  num_return_sequences: { transformers: same, server: '`n_cmpl` (alias `n`)', openai: 'n' },
  use_cache: { transformers: same },
  logprobs: { transformers: '— (`output_scores`, `compute_transition_scores`)', server: '`n_probs`; chat: `logprobs`', openai: 'logprobs', unset: 'off' },
  top_logprobs: { server: '`n_probs`; chat: `top_logprobs`', openai: 'top_logprobs', unset: 'off' },
  output_scores: { transformers: same },
  output_logits: { transformers: same, unset: 'off' },
  return_dict_in_generate: { transformers: same },
  pad_token_id: { transformers: same, unset: 'none' },
  bos_token_id: { transformers: same, unset: "the model's" },
  num_beams: { transformers: same },
  num_beam_groups: { transformers: same },
  diversity_penalty: { transformers: same },
  length_penalty: { transformers: same },
  early_stopping: { transformers: same },
  force_words_ids: { transformers: same, unset: 'none' },
  prompt_lookup_num_tokens: { transformers: same, unset: 'none' },
  max_matching_ngram_size: { transformers: same, unset: 'none' },
  num_assistant_tokens: { transformers: same },
  num_assistant_tokens_schedule: { transformers: same },
  assistant_confidence_threshold: { transformers: same },
  assistant_early_exit: { transformers: same, unset: 'none' },
  assistant_lookbehind: { transformers: same },
  target_lookbehind: { transformers: same },
  assistant_model: { transformers: '`generate(assistant_model=...)`', unset: 'none' },
};

/** What each stage of the chain is, for the chain-order list. */
const STAGE_TITLES: { readonly [S in ExplainStage]: string } = {
  '1. logit bias': 'logit bias',
  '2. processors': "transformers' logits processors, in transformers' `_get_logits_processor` order",
  '3. grammar': 'grammar',
  '4. penalties': "llama.cpp's penalties",
  '5. warpers': 'warpers (only with `do_sample: true`)',
  '6. renormalize': 'renormalisation',
  '7. draw': 'draw: the token is chosen',
  stop: 'stop conditions (the generation loop, between tokens)',
  output: 'outputs (the generation loop)',
  none: 'accepted, not implemented',
};

const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Names value as Markdown: bare names in backticks, Markdown as is. */
function name(value: string | undefined, field: string): string {
  if (value === undefined) return '—';
  if (value === same) return code(field);
  return /^[\w.-]+(, [\w.-]+)*$/.test(value) ? value.split(', ').map(code).join(', ') : value;
}

/** A default value as written in JavaScript. */
function literal(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  return JSON.stringify(value);
}

function defaultCell(field: CanonicalField): string {
  const value = defaultOf(field);
  const names = NAMES[field];
  if (value === undefined) return names.unset ? `unset (${names.unset})` : 'unset';
  return code(literal(value)) + (names.off ? ' (off)' : '');
}

/** transformers' processor classes are shown by name; identifiers in backticks. */
function implementationCell(implementation: string): string {
  const hf = /^native\/sampling\/hf: (\w+)$/.exec(implementation);
  if (hf) return `hf ${code(hf[1])}`;
  return implementation
    .split(' ')
    .map((word) => (/[_/]|\.cc$/.test(word) && !/^\(/.test(word) && word !== '/' ? code(word) : word))
    .join(' ');
}

function stageCell(field: CanonicalField): string {
  const info = FIELD_INFO[field];
  const sampler = info.sampler !== undefined ? ` · ${code(info.sampler)}` : '';
  return `${info.stage}${sampler}`;
}

function fieldCell(field: CanonicalField): string {
  const aliases = Object.entries(ALIASES).filter(([, target]) => target === field).map(([alias]) => code(alias));
  return code(field) + (aliases.length > 0 ? ` (alias ${aliases.join(', ')})` : '');
}

function llamaCell(names: Names, field: string): string {
  if (names.llama !== undefined) return names.llama;
  if (names.cli === undefined && names.server === undefined) return '—';
  return `${name(names.cli, field)} / ${name(names.server, field)}`;
}

/** The one table: every canonical field, in chain order. */
export function renderFieldTable(): string {
  const header = [
    'field', 'default', 'what it does', 'stage · `samplers` name', 'runs in', 'semantics',
    'transformers', 'llama.cpp: `llama-cli` / `llama-server`', 'OpenAI',
  ];
  const rows = FIELD_NAMES.map((field) => {
    const info = FIELD_INFO[field];
    const names = NAMES[field];
    return [
      fieldCell(field),
      defaultCell(field),
      info.note,
      stageCell(field),
      implementationCell(info.implementation),
      info.semantics,
      name(names.transformers, field),
      llamaCell(names, field),
      name(names.openai, field),
    ].map(cell);
  });
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The chain order: stages 1-7 with their fields, the default `samplers` order inside 4-5, then the rest. */
export function renderChainOrder(): string {
  const fieldsOf = (stage: ExplainStage): CanonicalField[] => FIELD_NAMES.filter((f) => FIELD_INFO[f].stage === stage);
  const list = (fields: readonly CanonicalField[]): string => fields.map(code).join(', ');
  const lines: string[] = [];
  for (const stage of ['1. logit bias', '2. processors', '3. grammar'] as const) {
    lines.push(`${stage.replace(/\..*/, '')}. **${STAGE_TITLES[stage]}**: ${list(fieldsOf(stage))}`);
  }
  const ordered = new Set<CanonicalField>();
  lines.push(
    `4. **${STAGE_TITLES['4. penalties']}** and 5. **${STAGE_TITLES['5. warpers']}**, interleaved in \`samplers\` order; ` +
      `the default order (\`DEFAULT_SAMPLER_ORDER\`):`,
  );
  for (const sampler of DEFAULT_SAMPLER_ORDER) {
    const fields = FIELD_NAMES.filter((f) => FIELD_INFO[f].sampler === sampler);
    fields.forEach((f) => ordered.add(f));
    const stage = FIELD_INFO[fields[0]].stage === '4. penalties' ? 'penalty' : 'warper';
    lines.push(`   - ${code(sampler)} (${stage}): ${list(fields)}`);
  }
  const rest = [...fieldsOf('4. penalties'), ...fieldsOf('5. warpers')].filter((f) => !ordered.has(f));
  lines.push(`   - also in stages 4–5: ${list(rest)}`);
  for (const stage of ['6. renormalize', '7. draw'] as const) {
    lines.push(`${stage.replace(/\..*/, '')}. **${STAGE_TITLES[stage]}**: ${list(fieldsOf(stage))}`);
  }
  lines.push('');
  for (const stage of ['stop', 'output', 'none'] as const) {
    lines.push(`- **${STAGE_TITLES[stage]}**: ${list(fieldsOf(stage))}`);
  }
  return lines.join('\n');
}

/** The OpenAI and llama.cpp request fields that are not options, with what to use instead (lib/config/foreign.ts). */
export function renderForeignFields(): string {
  const lines = ['| field | from | use instead | |', '|---|---|---|---|'];
  for (const [key, field] of Object.entries(FOREIGN_FIELDS)) {
    const use = field.use === undefined ? '—' : `\`${field.use}\``;
    lines.push(`| \`${key}\` | ${field.api} | ${use} | ${cell(field.note)}${field.serverIgnores ? ' (the server accepts and drops it)' : ''} |`);
  }
  return lines.join('\n');
}

/** The generated blocks, by marker name. */
const BLOCKS: Readonly<Record<string, () => string>> = {
  'field-table': renderFieldTable,
  'foreign-fields': renderForeignFields,
  'chain-order': renderChainOrder,
};

/** `text` with every generated block (between its marker comments) rewritten. */
export function updateDoc(text: string): string {
  let out = text;
  for (const [block, render] of Object.entries(BLOCKS)) {
    const begin = `<!-- BEGIN GENERATED ${block}: npm run docs:config -->`;
    const end = `<!-- END GENERATED ${block} -->`;
    const start = out.indexOf(begin);
    const stop = out.indexOf(end);
    if (start < 0 || stop < start) throw new Error(`${DOC_PATH}: markers of the '${block}' block not found:\n${begin}\n${end}`);
    out = `${out.slice(0, start + begin.length)}\n${render()}\n${out.slice(stop)}`;
  }
  return out;
}

function main(): void {
  const text = readFileSync(DOC_PATH, 'utf8');
  const updated = updateDoc(text);
  if (process.argv.includes('--check')) {
    if (updated !== text) {
      console.error(`${DOC_PATH} is out of date: run npm run docs:config`);
      process.exit(1);
    }
    return;
  }
  if (updated !== text) writeFileSync(DOC_PATH, updated);
  console.log(`${DOC_PATH}: ${updated === text ? 'up to date' : 'rewritten'}`);
}

if (typeof require !== 'undefined' && typeof module !== 'undefined' && require.main === module) main();
