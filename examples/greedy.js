#!/usr/bin/env node
'use strict';
// Greedy continuation of a prompt, token by token through context.evaluate().
// Usage: npm run demo -- [prompt] [--model path.gguf] [--tokens N]
const path = require('node:path');
const { loadModel } = require('..');

function parseArgs(argv) {
  const options = { model: path.join(__dirname, '..', 'models', 'stories260K.gguf'), tokens: 32, prompt: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--model') options.model = argv[++i];
    else if (argv[i] === '--tokens') options.tokens = Number(argv[++i]);
    else options.prompt.push(argv[i]);
  }
  options.prompt = options.prompt.join(' ') || 'Once upon a time';
  return options;
}

function argmax(logits) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const model = await loadModel(options.model);
  try {
    const context = await model.createContext({ contextSize: 256 });
    const decoder = new TextDecoder();
    process.stdout.write(options.prompt);
    let logits = await context.evaluate(model.tokenize(options.prompt));
    for (let i = 0; i < options.tokens; i++) {
      const token = argmax(logits);
      if (model.isEog(token)) break;
      process.stdout.write(decoder.decode(model.tokenToPiece(token), { stream: true }));
      logits = await context.evaluate([token]);
    }
    process.stdout.write(`${decoder.decode()}\n`);
  } finally {
    model.dispose(); // also disposes the context
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
