#!/usr/bin/env node
'use strict';
// Streams a sampled continuation of a prompt to stdout, with a Hugging Face
// GenerationConfig: do_sample, temperature, top_p, repetition_penalty and a
// seed (the same seed gives the same text). A transformers
// generation_config.json can replace the built-in settings (--config; taken
// as transformers takes it: without max_new_tokens, max_length 20 applies);
// the flags override either. Stats go to stderr.
//
// Usage: node examples/stream.js [prompt] [--model path.gguf] [--tokens N] [--seed S]
//                                [--temperature T] [--top-p P] [--repetition-penalty R]
//                                [--config generation_config.json] [--threads N]
// The model defaults to $LLAMA_MODEL, then to the bundled models/stories260K.gguf.
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadModel, resolveConfig, modelConfigLayer, generationConfigLayer } = require('llama-generate');

function options() {
  return parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf') },
      tokens: { type: 'string' },
      seed: { type: 'string' },
      temperature: { type: 'string' },
      'top-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      config: { type: 'string' },
      threads: { type: 'string' },
    },
  });
}

/** The settings used without --config: transformers' names and meanings. */
const SAMPLING = { max_new_tokens: 200, do_sample: true, temperature: 0.8, top_p: 0.95, repetition_penalty: 1.1 };

async function main() {
  const { values: args, positionals } = options();
  const prompt = positionals.join(' ') || 'Once upon a time';
  const model = await loadModel(args.model);
  try {
    const number = (flag) => (args[flag] === undefined ? undefined : Number(args[flag]));
    // Layers, later ones winning: the model's GGUF sampling recommendations,
    // generation_config.json or SAMPLING, the flags (undefined ones are skipped).
    const config = resolveConfig(modelConfigLayer(model.samplingMetadata), args.config ? generationConfigLayer(args.config) : SAMPLING, {
      max_new_tokens: number('tokens'),
      seed: number('seed'),
      temperature: number('temperature'),
      top_p: number('top-p'),
      repetition_penalty: number('repetition-penalty'),
    });
    for (const warning of config.warnings) console.error(`warning: ${warning}`);

    const context = await model.createContext({ contextSize: 1024, threads: number('threads') });
    process.stdout.write(prompt);
    const generation = context.generate(prompt, config);
    for await (const chunk of generation) process.stdout.write(chunk.text);
    process.stdout.write('\n');
    const { finishReason, usage, timings } = await generation.result;
    console.error(
      `[${usage.completionTokens} tokens, finish: ${finishReason}, prompt ${timings.promptTokensPerSecond.toFixed(0)} tokens/s, ` +
        `generation ${timings.tokensPerSecond.toFixed(0)} tokens/s]`,
    );
  } finally {
    model.dispose(); // also disposes the context
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
