#!/usr/bin/env node
'use strict';
/**
 * Used by scripts/test-install.sh, in the clean chroot and in the repository:
 * loads a GGUF model, greedy-decodes `tokens` tokens after "Once upon a time"
 * and prints one JSON line (token ids, text, the CPU variant ggml chose and
 * where the binary came from). Greedy decoding is deterministic, so the two
 * runs must print the same token ids.
 * Usage: node generate.js MODEL.gguf [tokens=24]
 */
const { loadModel, systemInfo } = require('llama-generate');

async function main() {
  const [modelPath, count = '24'] = process.argv.slice(2);
  if (!modelPath) throw new Error('usage: node generate.js MODEL.gguf [tokens]');
  const model = await loadModel(modelPath);
  try {
    const context = await model.createContext({ contextSize: 256 });
    const result = await context.generate('Once upon a time', { max_new_tokens: Number(count) }).result;
    const info = systemInfo();
    console.log(JSON.stringify({
      tokens: Array.from(result.tokens),
      text: result.text,
      cpuVariant: info.modules?.cpuVariant ?? null,
      binary: info.binary ? { source: info.binary.source, dir: info.binary.dir, packageName: info.binary.packageName ?? null } : null,
    }));
  } finally {
    model.dispose();
  }
}

main().catch((err) => {
  console.error(err.code ? `${err.code}: ${err.message}` : err);
  process.exit(1);
});
