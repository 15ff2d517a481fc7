#!/usr/bin/env node
'use strict';
// Several requests at once on one context: a context with `sequences: N`
// runs up to N generations together (continuous batching: every step is one
// llama_decode holding the next token of each running generation), and more
// requests than sequences wait their turn. Each generation still has its own
// sampler and stop conditions; a greedy one gives the same tokens as alone.
//
// Usage: node examples/concurrent.js [prompt ...] [--model path.gguf] [--tokens N]
//                                    [--sequences N] [--threads N]
// Without prompts it runs four stock ones. --sequences defaults to the number
// of prompts; fewer sequences than prompts makes the rest queue. The model
// defaults to $LLAMA_MODEL, then to the bundled models/stories260K.gguf.
// Prints one line per request (prompt and text JSON-quoted, as they can hold
// newlines), then the totals.
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadModel } = require('llama-generate');

function options() {
  return parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf') },
      tokens: { type: 'string', default: '64' },
      sequences: { type: 'string' },
      threads: { type: 'string' },
    },
  });
}

/** Used when no prompt is given. */
const PROMPTS = ['Once upon a time', 'The little dog', 'Lily and Ben went to the', 'One day, a bird'];

async function main() {
  const { values: args, positionals } = options();
  const prompts = positionals.length > 0 ? positionals : PROMPTS;
  const model = await loadModel(args.model);
  try {
    const sequences = Number(args.sequences ?? prompts.length);
    const maxNewTokens = Number(args.tokens);
    // contextSize counts KV cells over all sequences: room for each prompt and its output.
    const context = await model.createContext({ contextSize: sequences * (maxNewTokens + 128), sequences, threads: args.threads === undefined ? undefined : Number(args.threads) });

    const started = performance.now();
    const results = await Promise.all(prompts.map((prompt) => context.generate(prompt, { max_new_tokens: maxNewTokens }).result));
    const wallMs = performance.now() - started;

    results.forEach((r, i) => {
      console.log(
        `[${i}] sequence ${r.sequence}: ${JSON.stringify(prompts[i])} -> ${JSON.stringify(r.text)} ` +
          `(${r.usage.completionTokens} tokens, ${r.finishReason}, waited+ran ${r.timings.totalMs.toFixed(0)} ms)`,
      );
    });
    const sum = (f) => results.reduce((n, r) => n + f(r), 0);
    const completion = sum((r) => r.usage.completionTokens);
    // Each generation's own tokens/s counts the steps it shared with the others.
    const alone = sum((r) => r.timings.tokensPerSecond) / results.length;
    console.log(
      `total: ${results.length} requests on ${sequences} sequences, ${sum((r) => r.usage.promptTokens)} prompt tokens ` +
        `(${sum((r) => r.usage.cachedPromptTokens)} cached), ${completion} generated tokens in ${wallMs.toFixed(0)} ms: ` +
        `${((completion * 1000) / wallMs).toFixed(0)} tokens/s together, ${alone.toFixed(0)} tokens/s per request on average`,
    );
  } finally {
    model.dispose(); // also disposes the context
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
