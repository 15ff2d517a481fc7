'use strict';
/**
 * The LeakSanitizer pass of scripts/sanitize.sh: load → context → generate
 * (plain, with a grammar, with logprobs, two sequences) → save and restore
 * state → tokenizer calls → dispose, 25 times, then a clean exit, so that
 * LeakSanitizer's report at exit lists whatever the addon, llama.cpp or ggml
 * allocated and never freed.
 */
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { loadModel } = require('../../dist');

const MODEL = process.argv[2] ?? join(__dirname, '../../models/stories260K.gguf');
const CYCLES = Number(process.argv[3] ?? 25);

async function cycle(dir, i) {
  const model = await loadModel(MODEL);
  const context = await model.createContext({ contextSize: 512, sequences: 2 });
  await context.generate('Once upon a time', { max_new_tokens: 8 }).result;
  await context.generate('Once upon a time', { max_new_tokens: 8, grammar: 'root ::= " a" [a-z ]+', do_sample: true, seed: i }).result;
  await context.generate('The cat', { max_new_tokens: 4, top_logprobs: 3, num_return_sequences: 2, do_sample: true, seed: i }).result;
  const file = join(dir, `state-${i}.bin`);
  await context.saveStateToFile(file);
  await context.loadStateFromFile(file);
  model.detokenize(model.tokenize('hello world'));
  context.dispose();
  model.dispose();
}

(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lg-lsan-'));
  try {
    for (let i = 0; i < CYCLES; i++) await cycle(dir, i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`leak cycles: ${CYCLES} done`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
