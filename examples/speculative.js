#!/usr/bin/env node
'use strict';
// Speculative decoding: tokens are proposed cheaply and the model checks all
// of them in one batch, keeping those it would have chosen itself. The
// output is plain decoding's (greedy: the same tokens; sampling: the same
// distribution); only the number of model steps changes.
//   --lookup N       prompt lookup: proposes up to N tokens copied from where
//                    the text's last words appeared before (good when the
//                    output repeats the input: summaries, edits, code)
//   --draft file     a smaller model with the same tokenizer proposes tokens
//                    (transformers' assistant_model), --assistant-tokens N each step
//
// Usage: node examples/speculative.js [prompt] [--model path.gguf] [--lookup N]
//                                     [--draft path.gguf] [--assistant-tokens N]
//                                     [--tokens N] [--threads N]
// The prompt defaults to a short story that repeats itself; --lookup to 10
// when no --draft is given; --tokens to 64. The model defaults to
// $LLAMA_MODEL, then to the bundled models/stories260K.gguf. Prints the text
// (JSON-quoted), then one line of statistics.
const path = require('node:path');
const { parseArgs } = require('node:util');
const { loadModel } = require('llama-generate');

const STORY = 'Once upon a time, there was a little girl named Lily. She loved to play outside. Once upon a time, there was a little';

async function main() {
  const { values: args, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf') },
      lookup: { type: 'string' },
      draft: { type: 'string' },
      'assistant-tokens': { type: 'string', default: '5' },
      tokens: { type: 'string', default: '64' },
      threads: { type: 'string' },
    },
  });
  const prompt = positionals.length > 0 ? positionals.join(' ') : STORY;
  const model = await loadModel(args.model);
  const draft = args.draft === undefined ? undefined : await loadModel(args.draft);
  try {
    const context = await model.createContext({ threads: args.threads === undefined ? undefined : Number(args.threads) });
    const config = { max_new_tokens: Number(args.tokens), do_sample: false };
    if (draft) Object.assign(config, { assistant_model: draft, num_assistant_tokens: Number(args['assistant-tokens']) });
    else Object.assign(config, { prompt_lookup_num_tokens: Number(args.lookup ?? 10) });

    const result = await context.generate(prompt, config).result;
    const s = result.speculative;
    console.log(JSON.stringify(result.text));
    console.log(
      `drafted ${s.drafted}, accepted ${s.accepted} (${(100 * s.acceptanceRate).toFixed(0)}%), ` +
        `${s.tokensPerDecode.toFixed(2)} tokens per model step, ${result.timings.tokensPerSecond.toFixed(0)} tokens/s`,
    );
  } finally {
    model.dispose(); // also disposes the context (and the draft model's context it made)
    draft?.dispose();
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
