/**
 * The GBNF check before llama.cpp (lib/grammar/gbnf): a grammar llama.cpp
 * refuses is an INVALID_ARGUMENT naming the rule and the line and column
 * (regression: only "llama.cpp could not parse the grammar"), and a grammar
 * llama.cpp takes passes. The verdicts are compared with llama.cpp's own parser,
 * reached through the native chain without the check.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlamaError } from '../../lib/errors';
import { checkGrammar } from '../../lib/grammar/gbnf/check';
import { createSampler, jsonSchemaToGbnf, loadModel, type Model } from '../../lib/index';
import { nativeModelOf } from '../../lib/model';
import { buildNativeSampler } from '../../lib/sampling/sampler';
import { parseGbnf as parseTestGbnf } from '../support/gbnf';
import { ROOT, STORIES_MODEL } from '../support/models';
import { mulberry32 } from '../support/random';

let vocab: Model;
beforeAll(async () => {
  vocab = await loadModel(STORIES_MODEL, { vocabOnly: true });
});
afterAll(() => vocab.dispose());

/** The native chain with only `grammar` (greedy), built without the TS check. */
function nativeSampler(grammar: string): ReturnType<typeof buildNativeSampler> {
  const plan = {
    vocabSize: vocab.vocabSize,
    stages: [{ kind: 'grammar' as const, grammar, root: 'root', lazy: false, trigger_patterns: [], trigger_tokens: [] }],
    draw: { kind: 'greedy' as const },
    hookAt: 1,
    seed: 0,
  };
  return buildNativeSampler(plan, nativeModelOf(vocab), new Int32Array(0), 0);
}

/** Whether llama.cpp's parser takes `grammar` (the native grammar stage, built without the TS check). */
function llamaAccepts(grammar: string): boolean {
  try {
    nativeSampler(grammar).dispose();
    return true;
  } catch (err) {
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    return false;
  }
}

/** The message of the INVALID_ARGUMENT `checkGrammar` throws, or undefined when it passes. */
function checkMessage(grammar: string): string | undefined {
  try {
    checkGrammar(grammar);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(LlamaError);
    expect((err as LlamaError).code).toBe('INVALID_ARGUMENT');
    return (err as LlamaError).message;
  }
}

/** Grammars llama.cpp refuses, with what the message must say. */
const REFUSED: [string, string, RegExp][] = [
  // llama.cpp's own left-recursion cases (tests/test-grammar-integration.cpp)
  ['simple left recursion', 'root ::= "a" | root "a"', /^grammar: rule 'root' is left-recursive: .* at line 1, column 16/],
  ['through a rule', 'root ::= asdf\nasdf ::= "a" | asdf "a"', /rule 'asdf' is left-recursive.* at line 2, column 16/],
  ['through two rules', 'root ::= asdf\nasdf ::= "a" | foo "b"\nfoo ::= "c" | asdf "d" | "e"', /rule 'asdf' is left-recursive \(asdf → foo → asdf\).* line 3, column 15/],
  ['past a rule with an empty alternative', 'root ::= asdf\nasdf ::= "a" | foo "b"\nfoo ::= "c" | empty asdf "d" | "e"\nempty ::= "blah" | ', /left-recursive \(asdf → foo → asdf\)/],
  ['inside a group', 'root ::= ("x" | (root "y"))', /rule 'root' is left-recursive.* line 1, column 18/],
  ['a repetition of something empty', 'root ::= ("")*', /rule 'root' is left-recursive/],
  ['an undefined rule', 'root ::= "a" item\nitem ::= "b" other', /^grammar: rule 'item' refers to the undefined rule 'other' at line 2, column 14$/],
  ['no root', 'start ::= "a"', /^grammar has no 'root' rule/],
  ['only a comment', '# nothing here\n', /no 'root' rule/],
  ['an empty alternative at the end of a line joins the next line', 'root ::= a "x" | \na ::= "y"', /rule 'root': expecting a newline or the end, not ':' at line 2, column 3/],
  ['an unclosed group', 'root ::= ("a"', /^grammar: rule 'root': expecting '\)' at line 1, column 14$/],
  ['an unterminated literal', 'root ::= "a\n', /rule 'root': unexpected end of input in a literal at line 1, column 10/],
  ['a missing ::=', 'root ::= "a"\nnext = "b"', /^grammar: rule 'next': expecting '::=' at line 2, column 6$/],
  ['two rules on a line', 'root ::= "a" b ::= "c"', /rule 'root': expecting a newline or the end, not ':' at line 1, column 16/],
  ['an underscore in a name', 'root ::= my_rule\nmy_rule ::= "a"', /expecting a newline or the end, not '_' at line 1, column 12/],
  ['an unknown escape', 'root ::= "\\q"', /rule 'root': unknown escape at line 1, column 11/],
  ['a short hex escape', 'root ::= [\\x4]', /expecting 2 hex digits after \\x at line 1, column 11/],
  ['a repetition of nothing', 'root ::= * "a"', /expecting an item before the repetition operator at line 1, column 10/],
  ['{,n}', 'root ::= "a"{,10}', /expecting an integer at line 1, column 14/],
  ['{5000}', 'root ::= "a"{5000}', /at most 2000 repetitions/],
  ['{5000,}', 'root ::= "a"{5000,}', /at most 2000 repetitions/],
  ['nested repetitions past the limit', 'root ::= (((([^x]*){0,99}){0,99}){0,99})', /at most 2000 copies at line 1, column 27/],
  ['a NUL character', 'root ::= "a"\0 junk', /^grammar contains a NUL character at line 1, column 13$/],
];

describe('checkGrammar: what llama.cpp refuses, with the rule and the position', () => {
  it.each(REFUSED)('%s', (_name, grammar, message) => {
    expect(checkMessage(grammar)).toMatch(message);
    if (!grammar.includes('\0')) expect(llamaAccepts(grammar)).toBe(false);
  });

  it('a grammar llama.cpp would expand past 262144 rules (seconds, hundreds of MB there) is refused at once', () => {
    const grammar = `root ::= ${Array.from({ length: 200 }, (_, i) => `"w${i}"{0,2000}`).join(' ')}`;
    const started = Date.now();
    expect(checkMessage(grammar)).toMatch(/^grammar: rule 'root': llama.cpp would build more than 262144 rules .* at line 1, column \d+$/);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(checkMessage(`root ::= ${Array.from({ length: 100 }, (_, i) => `"w${i}"{0,2000}`).join(' ')}`)).toBeUndefined();
  });

  it('createSampler and generate() give the check’s error, not llama.cpp’s bare one', () => {
    expect(() => createSampler({ grammar: 'root ::= "a" | root "a"' }, { model: vocab })).toThrow(/rule 'root' is left-recursive/);
    expect(() => createSampler({ grammar: 'root ::= x' }, { model: vocab })).toThrow(/undefined rule 'x' at line 1, column 10/);
  });
});

/**
 * Left recursion past a rule that can match nothing only through the rules
 * llama.cpp's parser generates for it (a repetition, an optional group): s ::=
 * " "{0,3} is s ::= s', s' ::= " " s'' | …, so s has no empty alternative and
 * llama.cpp's detect_left_recursion passes r ::= s r "x" (issue 12). Its stacks
 * then grow on every round: llama.cpp's own sampler never returns, the grammar
 * engine stops at its stack limit when the cycle is reached at the start, and
 * past a first token it falls back to llama.cpp's evaluation and never returns.
 */
const NULLABLE_ONLY_THROUGH_REPETITION: [string, string][] = [
  ['{0,3}', '" "{0,3}'],
  ['*', '" "*'],
  ['?', '" "?'],
  ['{0,1}', '[ \\t]{0,1}'],
  ['{0,2000}', '"ab"{0,2000}'],
  ['{0,} after a class', '[a-z]{0,}'],
  ['a group with an empty alternative', '(" " | )'],
  ['an optional group of optionals', '(" "? "\\n"?)'],
  ['nested groups', '((" ")?)'],
  ['a sequence of two optionals', '" "? "\\t"*'],
  ['an alternative of a repetition', '"a"* | "b"+ "c"'],
  ['through another rule', 't\nt ::= " "*'],
];

describe('checkGrammar: left recursion past rules made nullable by a repetition (issue 12)', () => {
  it.each(NULLABLE_ONLY_THROUGH_REPETITION)('s ::= %s', (_name, s) => {
    const grammar = `root ::= r\nr ::= s r "x" | "y"\ns ::= ${s}`;
    expect(checkMessage(grammar)).toMatch(
      /^grammar: rule 'r' is left-recursive: it can reach itself again before any character, past rule 's', which can match nothing \(reference at line 2, column 9\); llama.cpp's check misses this/,
    );
    // llama.cpp's own check lets it through: the check is what keeps it from llama.cpp's stacks.
    expect(llamaAccepts(grammar)).toBe(true);
    // The independent test parser (full nullability) sees the same recursion.
    expect(() => parseTestGbnf(grammar)).toThrow(/left recursion/);
  });

  it('names the rules on a longer cycle, and a group or repetition inside the rule itself', () => {
    expect(checkMessage('root ::= a "z"\na ::= s b\nb ::= s a "x" | "y"\ns ::= " "{0,3}')).toMatch(
      /rule 'a' is left-recursive \(a → b → a\): .*past rule 's', which can match nothing \(reference at line 3, column 9\)/,
    );
    expect(checkMessage('root ::= (" "?) root "x" | "y"')).toMatch(
      /^grammar: rule 'root' is left-recursive: .*past a group or repetition in rule 'root', which can match nothing \(reference at line 1, column 17\)/,
    );
    expect(checkMessage('root ::= "a" r\nr ::= s{2} r "x" | "y"\ns ::= " "?')).toMatch(/rule 'r' is left-recursive: .*past rule 's'/);
  });

  it('the grammar engine cannot run them either: the first use fails at its stack limit (the check’s error comes first)', () => {
    for (const s of ['" "{0,3}', '" "*']) {
      const grammar = `root ::= r\nr ::= s r "x" | "y"\ns ::= ${s}`;
      const sampler = nativeSampler(grammar);
      try {
        expect(() => sampler.sample(new Float32Array(vocab.vocabSize), true)).toThrow(/stack entries|limit/);
      } finally {
        sampler.dispose();
      }
      expect(() => createSampler({ grammar }, { model: vocab })).toThrow(/rule 'r' is left-recursive/);
    }
  });

  // A cycle whose every reference is the last element of its alternative leaves nothing on the stack:
  // llama.cpp comes back to a stack it has seen, and the grammar works.
  const TAIL_ONLY: [string, string][] = [
    ['a repetition of an optional', 'root ::= ("a"?)* "b"'],
    ['a repetition of a repetition', 'root ::= (" "{0,3})* "b"'],
    ['right recursion past a nullable rule', 'root ::= s root | "x"\ns ::= " "{0,3}'],
    ['through two rules, each reference last', 'root ::= a "!"\na ::= s b | "x"\nb ::= t a\ns ::= " "*\nt ::= "-"?'],
  ];
  it.each(TAIL_ONLY)('passes when nothing is left after the references: %s', (_name, grammar) => {
    expect(checkMessage(grammar)).toBeUndefined();
    expect(llamaAccepts(grammar)).toBe(true);
    const sampler = nativeSampler(grammar);
    try {
      const logits = new Float32Array(vocab.vocabSize);
      for (let i = 0; i < 4; i++) expect(sampler.sample(logits, true)).toBeGreaterThanOrEqual(0);
    } finally {
      sampler.dispose();
    }
  });
});

/** Grammars llama.cpp takes: they must pass. */
function acceptedCorpus(): [string, string][] {
  const corpus: [string, string][] = [];
  const dir = join(ROOT, 'vendor', 'llama.cpp', 'grammars');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.gbnf'))) corpus.push([file, readFileSync(join(dir, file), 'utf8')]);
  // the grammars of the other tests
  corpus.push(
    ['grammar.test: small JSON', readFileSync(join(ROOT, 'test', 'sampling', 'grammar.test.ts'), 'utf8').split('String.raw`')[1]!.split('`')[0]!],
    ['a literal', 'root ::= "a"'],
    ['two literals', 'root ::= "a" "b"'],
    ['lazy', 'root ::= "Lily the end"'],
    ['stop.test', `root ::= ${JSON.stringify('Hello "world"\n')}`],
    ['comments and quoted operators', `# ((((( | | |\nroot ::= "((((|||" [(|)] ("a" | "b") ${'('.repeat(200)}"a"${')'.repeat(200)}`],
    ['tokens', 'root ::= <[1]> !<[2]>* "x"'],
    ['a rule defined twice (the last wins)', 'root ::= a\na ::= "x"\na ::= "y"'],
    ['empty alternatives, no left recursion', 'root ::= a "x" | "z"\na ::= "y" | '],
    ['a nullable rule before itself in a tail position', 'root ::= ("a"?)* "b"'],
    ['{0,5000} (read as *)', 'root ::= "a"{0,5000}'],
    ['CRLF and tabs', 'root ::=\t"a"\r\nb ::= "c"\r\n'],
    ['any character and unicode', 'root ::= . [\\u00e9-\\U0010FFFF] "ü😀"'],
  );
  for (const schema of [{ type: 'object' }, { type: 'string', format: 'date-time' }, { type: 'array', items: { $ref: '#' } }, true]) {
    corpus.push([`json_schema ${JSON.stringify(schema)}`, jsonSchemaToGbnf(schema)]);
  }
  return corpus;
}

describe('checkGrammar: what llama.cpp takes passes', () => {
  it.each(acceptedCorpus())('%s', (_name, grammar) => {
    expect(llamaAccepts(grammar)).toBe(true);
    expect(checkMessage(grammar)).toBeUndefined();
  });
});

describe('checkGrammar agrees with llama.cpp on random grammars', () => {
  /** A random grammar over rules r0..r(n-1): literals, classes, references, groups, repetitions, empty alternatives. */
  function randomGrammar(random: () => number): string {
    const n = 1 + Math.floor(random() * 4);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const names = ['root', ...Array.from({ length: n - 1 }, (_, i) => `r${i + 1}`)];
    const atom = (depth: number): string => {
      const r = random();
      if (r < 0.25) return pick(['"a"', '"bc"', '""', '[x-z]', '.']);
      if (r < 0.6) return pick([...names, 'undef']);
      if (r < 0.75 && depth < 2) return `(${alternatives(depth + 1)})`;
      return pick(['"q"', 'root']);
    };
    const item = (depth: number): string => atom(depth) + (random() < 0.3 ? pick(['*', '+', '?', '{2}', '{0,3}', '{1,}']) : '');
    const sequence = (depth: number): string => Array.from({ length: Math.floor(random() * 3) }, () => item(depth)).join(' ');
    const alternatives = (depth: number): string => Array.from({ length: 1 + Math.floor(random() * 3) }, () => sequence(depth)).join(' | ');
    return names.map((name) => `${name} ::= ${alternatives(0)}`).join('\n');
  }

  /** Whether a grammar could send llama.cpp into an endless loop: left recursion it does not see (through a nullable rule). */
  function mayHangLlama(grammar: string): boolean {
    try {
      parseTestGbnf(grammar); // rejects true left recursion, nullable rules included
      return false;
    } catch (err) {
      return /left recursion/.test((err as Error).message);
    }
  }

  it('the same verdict on 1000 random grammars', () => {
    const random = mulberry32(7);
    let refused = 0;
    let compared = 0;
    for (let i = 0; i < 1000; i++) {
      const grammar = randomGrammar(random);
      const message = checkMessage(grammar);
      const ours = message === undefined;
      if (ours && mayHangLlama(grammar)) continue;
      compared++;
      if (message !== undefined && /llama.cpp's check misses this/.test(message)) {
        // A left recursion llama.cpp's check misses (it takes the grammar, then cannot run it): the
        // full-nullability test parser must see it too.
        expect(llamaAccepts(grammar), grammar).toBe(true);
        expect(mayHangLlama(grammar), grammar).toBe(true);
        refused++;
        continue;
      }
      expect(ours, `${grammar}\n${message ?? 'passed the check'}`).toBe(llamaAccepts(grammar));
      if (!ours) refused++;
    }
    expect(compared).toBeGreaterThan(800);
    expect(refused).toBeGreaterThan(200);
    expect(compared - refused).toBeGreaterThan(80);
  });
});
