#!/usr/bin/env node
'use strict';
// Beam search, as transformers runs it: the N best continuations of a prompt
// by total log-probability, each with its score (transformers'
// sequences_scores). A beam search takes one sequence of the context per
// beam, and all the beams are decoded together in one batch per step.
// --groups with --diversity runs group (diverse) beam search; --force asks
// for a word the output must contain (constrained beam search).
//
// Usage: node examples/beam-search.js [prompt] [--model path.gguf] [--beams N]
//                                     [--return N] [--tokens N] [--length-penalty X]
//                                     [--groups N --diversity X] [--force word ...]
//                                     [--threads N]
// The prompt defaults to "Once upon a time"; --beams to 4, --return to 3,
// --tokens to 24. The model defaults to $LLAMA_MODEL, then to the bundled
// models/stories260K.gguf. Prints one line per returned sequence, best first:
// its rank, score and JSON-quoted text.
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadModel } = require('llama-generate');

function options() {
  return parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf') },
      beams: { type: 'string', default: '4' },
      return: { type: 'string', default: '3' },
      tokens: { type: 'string', default: '24' },
      'length-penalty': { type: 'string', default: '1' },
      groups: { type: 'string', default: '1' },
      diversity: { type: 'string', default: '0' },
      force: { type: 'string', multiple: true, default: [] },
      threads: { type: 'string' },
    },
  });
}

async function main() {
  const { values: args, positionals } = options();
  const prompt = positionals.length > 0 ? positionals.join(' ') : 'Once upon a time';
  const model = await loadModel(args.model);
  try {
    const numBeams = Number(args.beams);
    // One sequence per beam; contextSize counts the KV cells of all of them.
    const context = await model.createContext({
      sequences: numBeams,
      contextSize: numBeams * (Number(args.tokens) + 128),
      threads: args.threads === undefined ? undefined : Number(args.threads),
    });
    const config = {
      num_beams: numBeams,
      num_return_sequences: Number(args.return),
      max_new_tokens: Number(args.tokens),
      length_penalty: Number(args['length-penalty']),
      early_stopping: true,
    };
    if (Number(args.groups) > 1) Object.assign(config, { num_beam_groups: Number(args.groups), diversity_penalty: Number(args.diversity) });
    // A word to force: its tokens as they appear after a space, one phrase each.
    if (args.force.length > 0) config.force_words_ids = args.force.map((word) => Array.from(model.tokenize(word, { addSpecial: false })));

    const result = await context.generate(prompt, config).result;
    for (const s of result.sequences) console.log(`[${s.index}] score ${s.score.toFixed(4)} (${s.finishReason}): ${JSON.stringify(s.text)}`);
  } finally {
    model.dispose(); // also disposes the context
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
