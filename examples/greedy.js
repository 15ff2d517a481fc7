#!/usr/bin/env node
'use strict';
// Streams the greedy continuation of a prompt with context.generate(): the
// most likely token at every step, so the output is the same on every run.
// Usage: npm run demo -- [prompt] [--model path.gguf] [--tokens N]
//    or: node examples/greedy.js [prompt] [--model path.gguf] [--tokens N]
// The model defaults to $LLAMA_MODEL, then to the bundled models/stories260K.gguf.
const path = require('node:path');
const { loadModel } = require('llama-generate');

function parseArgs(argv) {
  const options = { model: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf'), tokens: 32, prompt: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') options.model = argv[++i];
    else if (argv[i] === '--tokens') options.tokens = Number(argv[++i]);
    else options.prompt.push(argv[i]);
  }
  options.prompt = options.prompt.join(' ') || 'Once upon a time';
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const model = await loadModel(options.model);
  try {
    const context = await model.createContext({ contextSize: 256 });
    process.stdout.write(options.prompt);
    for await (const chunk of context.generate(options.prompt, { max_new_tokens: options.tokens })) {
      process.stdout.write(chunk.text);
    }
    process.stdout.write('\n');
  } finally {
    model.dispose(); // also disposes the context
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
