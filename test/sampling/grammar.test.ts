/**
 * Grammar-constrained sampling with the real stories260K: every generation
 * under a JSON grammar parses, every generation under a json_schema validates.
 */
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampler, loadModel, type Context, type Model } from '../../lib/index';
import { codeOf } from '../support/errors';
import { generateWith } from '../support/generate';
import { STORIES_MODEL } from '../support/models';

/** JSON with bounded strings, numbers and nesting, so every generation can finish in a few dozen tokens. */
const SMALL_JSON_GRAMMAR = String.raw`
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null")
object ::= "{" ( pair ( "," pair ){0,2} )? "}"
pair   ::= string ":" scalar
array  ::= "[" ( scalar ( "," scalar ){0,2} )? "]"
scalar ::= string | number | array | ("true" | "false" | "null")
string ::= "\"" [a-z ]{0,6} "\""
number ::= "-"? [0-9]{1,3}
`;

const SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', maxLength: 6 },
    age: { type: 'integer' },
    mood: { enum: ['happy', 'sad'] },
  },
  required: ['name', 'mood'],
  additionalProperties: false,
} as const;

let model: Model;
let context: Context;
beforeAll(async () => {
  model = await loadModel(STORIES_MODEL);
  context = await model.createContext({ contextSize: 256, threads: 1 });
});
afterAll(() => model.dispose());

const RUNS = 100;
const MAX_TOKENS = 120;

describe('grammar sampling on stories260K', () => {
  it(`${RUNS} sampled generations under a JSON grammar all parse`, async () => {
    const prompt = model.tokenize('Once upon a time');
    for (let seed = 0; seed < RUNS; seed++) {
      const sampler = createSampler({ do_sample: true, temperature: 1.2, top_k: 0, grammar: SMALL_JSON_GRAMMAR, seed }, { model, inputIds: prompt });
      const { text, finished } = await generateWith(model, context, sampler, prompt, MAX_TOKENS);
      sampler.dispose();
      expect(finished, `seed ${seed}: ${text}`).toBe(true);
      expect(() => JSON.parse(text), `seed ${seed}: ${text}`).not.toThrow();
    }
  });

  it(`${RUNS} sampled generations under a json_schema all validate`, async () => {
    const validate = new Ajv().compile(SCHEMA);
    const prompt = model.tokenize('Lily said');
    for (let seed = 0; seed < RUNS; seed++) {
      const sampler = createSampler({ do_sample: true, temperature: 1.0, top_k: 0, json_schema: SCHEMA, seed }, { model, inputIds: prompt });
      const { text, finished } = await generateWith(model, context, sampler, prompt, MAX_TOKENS);
      sampler.dispose();
      expect(finished, `seed ${seed}: ${text}`).toBe(true);
      const value = JSON.parse(text) as unknown;
      expect(validate(value), `seed ${seed}: ${text} ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('rejects a grammar llama.cpp cannot parse, and a token the grammar forbids', async () => {
    expect(() => createSampler({ grammar: 'root ::= (' }, { model })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const sampler = createSampler({ grammar: 'root ::= "a"' }, { model });
    const z = model.tokenize('z', { addSpecial: false })[0];
    expect(() => sampler.accept(z)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    sampler.dispose();
  });

  it('needs a model for a grammar', async () => {
    expect(await codeOf(Promise.resolve().then(() => createSampler({ grammar: 'root ::= "a"' }, { vocabSize: 512 })))).toBe('INVALID_ARGUMENT');
  });

  it('a lazy grammar only constrains after its trigger word', async () => {
    const prompt = model.tokenize('Once upon a time');
    const grammar = 'root ::= "Lily the end"'; // fed from the trigger word on
    const sampler = createSampler(
      { do_sample: false, grammar, grammar_lazy: true, grammar_trigger_words: ['Lily'] },
      { model, inputIds: prompt },
    );
    const { text } = await generateWith(model, context, sampler, prompt, 40);
    sampler.dispose();
    // Unconstrained greedy text up to the trigger, then exactly the grammar.
    expect(text).toMatch(/Lily the end$/);
  });
});

describe('pathological grammars and schemas: a typed error at once, never a crash or a hang', () => {
  const invalid = expect.objectContaining({ name: 'LlamaError', code: 'INVALID_ARGUMENT' });
  const sampler = (config: Record<string, unknown>) => () => createSampler(config, { vocabSize: 512 });

  it.each([
    // Regressions: 100k nested parentheses / chained rules overflowed llama.cpp's parser stack (SIGSEGV);
    // 100k alternatives took ~50 s with the JS thread blocked.
    ['100k nested parentheses', `root ::= ${'('.repeat(100_000)}"a"${')'.repeat(100_000)}`, /nested deeper than 256 levels at line 1, column 266/],
    ['100k chained rules', ['root ::= r0', ...Array.from({ length: 100_000 }, (_, i) => `r${i} ::= r${i + 1}`), 'r100000 ::= "a"'].join('\n'), /at most 262144|defines 100002 rules/],
    ['20k alternatives', `root ::= ${Array.from({ length: 20_000 }, (_, i) => `"w${i}"`).join(' | ')}`, /more than 16384 alternatives/],
  ])('%s', (_name, grammar, message) => {
    const started = Date.now();
    expect(sampler({ grammar })).toThrow(invalid);
    expect(sampler({ grammar })).toThrow(message);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('quotes, character classes and comments do not count as nesting or alternatives', async () => {
    const vocab = await loadModel(STORIES_MODEL, { vocabOnly: true });
    try {
      const nested = `${'('.repeat(200)}"a"${')'.repeat(200)}`;
      const s = createSampler({ grammar: `# ((((( | | |\nroot ::= "((((|||" [(|)] ("a" | "b") ${nested}` }, { model: vocab });
      s.dispose();
    } finally {
      vocab.dispose();
    }
  });

  it('a schema nested deeper than the JS stack, and a 100k-value enum, are INVALID_ARGUMENT', () => {
    let deep: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 20_000; i++) deep = { type: 'array', items: deep };
    expect(sampler({ json_schema: deep })).toThrow(invalid);
    const huge = { enum: Array.from({ length: 100_000 }, (_, i) => `value-${i}`) };
    expect(sampler({ json_schema: huge })).toThrow(invalid);
  });
});
