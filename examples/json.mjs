#!/usr/bin/env node
// JSON-schema-constrained output: the `json_schema` config field turns a JSON
// Schema into a GBNF grammar that the sampler chain enforces token by token,
// so the model can only produce text that parses and matches the schema.
// The example parses the result and prints it.
//
// Usage: node examples/json.mjs [prompt] [--schema file.json] [--model path.gguf]
//                               [--tokens N] [--temperature T --seed S] [--threads N]
// The schema defaults to examples/character.schema.json; the model to
// $LLAMA_MODEL, then to the bundled models/stories260K.gguf. Greedy unless
// --temperature is given. An ES module: `import` works as `require` does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from 'llama-generate';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
let args, positionals;
try {
  ({ values: args, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || here('../models/stories260K.gguf') },
      schema: { type: 'string', default: here('./character.schema.json') },
      tokens: { type: 'string', default: '256' },
      temperature: { type: 'string' },
      seed: { type: 'string' },
      threads: { type: 'string' },
    },
  }));
} catch (err) {
  console.error(err.message); // a bad flag
  process.exit(2);
}
const prompt = positionals.join(' ') || 'Once upon a time, there was a character:';

let model;
try {
  const schema = JSON.parse(readFileSync(args.schema, 'utf8'));
  model = await loadModel(args.model);
  const context = await model.createContext({ contextSize: 1024, threads: args.threads === undefined ? undefined : Number(args.threads) });
  const config = {
    json_schema: schema,
    max_new_tokens: Number(args.tokens),
    ...(args.temperature !== undefined ? { do_sample: true, temperature: Number(args.temperature) } : {}),
    ...(args.seed !== undefined ? { seed: Number(args.seed) } : {}),
  };
  const { text, finishReason, usage } = await context.generate(prompt, config).result;
  // The grammar ends where the JSON value ends, and the model stops there
  // (finishReason 'eos'). Anything else means it was cut short, e.g. by
  // max_new_tokens: bound strings and arrays in the schema (maxLength, maxItems).
  if (finishReason !== 'eos') {
    throw new Error(`generation ended by ${finishReason} after ${usage.completionTokens} tokens, before the JSON was complete: ${text}`);
  }
  const value = JSON.parse(text);
  console.log(JSON.stringify(value, null, 2));
  console.error(`${usage.completionTokens} tokens, finish: ${finishReason}`);
} catch (err) {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exitCode = 1;
} finally {
  model?.dispose(); // also disposes the context
}
