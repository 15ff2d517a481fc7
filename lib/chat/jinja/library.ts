/**
 * The parts of @huggingface/jinja used here: its tokenizer (for the inside of
 * tags) and its parser. The package is an ES module that also ships a
 * CommonJS build (its `require` export, `dist/index.cjs`); this package
 * compiles to CommonJS (the ESM entry re-exports it), so it is loaded with
 * `require`, typed here. @internal
 */
import type { LexToken } from './lexer';

interface HuggingFaceJinja {
  tokenize(source: string, options?: { lstrip_blocks?: boolean; trim_blocks?: boolean }): LexToken[];
  parse(tokens: LexToken[]): unknown;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const library = require('@huggingface/jinja') as HuggingFaceJinja;

/** @huggingface/jinja's tokenizer. */
export const tokenize = library.tokenize;
/** @huggingface/jinja's parser. */
export const parse = library.parse;
