#!/usr/bin/env node
'use strict';
// Multi-turn chat: messages go through a chat template, and every turn
// re-sends the whole history, yet only the new turn is evaluated: the context
// keeps the conversation in its KV cache, and generate() reuses the longest
// common prefix. Each turn prints its token counts; `cached` is the part of
// the prompt that came from the cache instead of being evaluated again.
//
// Usage: node examples/chat.js [--model path.gguf] [--chat-template name|jinja]
//                              [--system text] [--tokens N] [--temperature T] [--seed S]
//                              [--context-size N] [--threads N]
// Type one message per line (Ctrl-D ends), or pipe them in:
//   printf 'Hi!\nTell me a story.\n' | node examples/chat.js --seed 1
//
// The model defaults to $LLAMA_MODEL, then to the bundled models/stories260K.gguf.
// The template is --chat-template, else the model's tokenizer.chat_template,
// else 'chatml'. --chat-template takes a llama.cpp built-in template name
// ('chatml', 'llama2', 'llama3', 'mistral-v7', 'phi3', 'gemma', 'zephyr',
// 'vicuna', 'deepseek3', 'command-r', ...; see llm_chat_template_from_str in
// llama.cpp's src/llama-chat.cpp) or Jinja text that llama.cpp recognises as
// one of them. stories260K is a story model with no template: with 'chatml'
// it answers with stories, but the cache reuse is the same as with a real
// chat model.
const path = require('node:path');
const readline = require('node:readline');
const { parseArgs } = require('node:util');
const { loadModel } = require('llama-generate');

function options() {
  return parseArgs({
    options: {
      model: { type: 'string', default: process.env.LLAMA_MODEL || path.join(__dirname, '..', 'models', 'stories260K.gguf') },
      'chat-template': { type: 'string' },
      system: { type: 'string' },
      tokens: { type: 'string', default: '128' },
      temperature: { type: 'string', default: '0.7' },
      seed: { type: 'string' },
      'context-size': { type: 'string', default: '2048' },
      threads: { type: 'string' },
    },
  });
}

async function main() {
  const { values: args } = options();
  const model = await loadModel(args.model);
  try {
    const chatTemplate = args['chat-template'] ?? (model.chatTemplate ? undefined : 'chatml');
    console.error(`chat template: ${args['chat-template'] ? `${chatTemplate} (--chat-template)` : chatTemplate ? `${chatTemplate} (the model has none)` : "the model's"}`);
    const history = args.system ? [{ role: 'system', content: args.system }] : [];
    model.applyChatTemplate(history, { chatTemplate }); // fails early (UNSUPPORTED) for a template llama.cpp does not know

    // One context for the whole conversation: its KV cache holds the history.
    const context = await model.createContext({ contextSize: Number(args['context-size']), threads: args.threads === undefined ? undefined : Number(args.threads) });
    const temperature = Number(args.temperature);
    const config = {
      max_new_tokens: Number(args.tokens),
      ...(temperature > 0 ? { do_sample: true, temperature, top_p: 0.9 } : { do_sample: false }),
      ...(args.seed !== undefined ? { seed: Number(args.seed) } : {}),
    };

    const interactive = process.stdin.isTTY;
    const rl = readline.createInterface({ input: process.stdin, terminal: interactive });
    if (interactive) process.stdout.write('> ');
    let turn = 0;
    for await (const line of rl) {
      const content = line.trim();
      if (!content) {
        if (interactive) process.stdout.write('> ');
        continue;
      }
      turn++;
      if (!interactive) process.stdout.write(`> ${content}\n`); // echo piped input, for a readable transcript
      history.push({ role: 'user', content });

      const generation = startTurn(context, history, config, chatTemplate);
      process.stdout.write('assistant: ');
      for await (const chunk of generation) process.stdout.write(chunk.text);
      const { text, finishReason, usage, timings } = await generation.result;
      // Keep the reply exactly as generated: re-rendered next turn, it then
      // tokenizes to the tokens already in the cache.
      history.push({ role: 'assistant', content: text });

      const evaluated = usage.promptTokens - usage.cachedPromptTokens;
      process.stdout.write(
        `\n[turn ${turn}: prompt ${usage.promptTokens} tokens, ${usage.cachedPromptTokens} cached, ${evaluated} evaluated, ` +
          `${usage.completionTokens} generated (${finishReason}), ${timings.tokensPerSecond.toFixed(0)} tokens/s]\n`,
      );
      if (interactive) process.stdout.write('> ');
    }
  } finally {
    model.dispose(); // also disposes the context
  }
}

/** Starts a generation for the history, dropping the oldest exchanges while it does not fit the context. */
function startTurn(context, history, config, chatTemplate) {
  for (;;) {
    try {
      return context.generate(history, config, { chatTemplate });
    } catch (err) {
      const first = history[0]?.role === 'system' ? 1 : 0;
      if (err.code !== 'CONTEXT_OVERFLOW' || history.length - first <= 1) throw err;
      history.splice(first, 2); // forget the oldest user message and its reply
      console.error('(history too long for the context: dropped the oldest exchange)');
    }
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
