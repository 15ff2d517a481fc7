/**
 * Writes a ~100M-parameter random-weight llama model as F16 and Q8_0 to bench/models/
 * and prints their paths, sizes and parameter counts.
 *
 * Usage: npx tsx scripts/make-bench-model.ts
 */

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeRandomLlama, type RandomLlamaOptions } from '../test/support/random-llama';

/** 768 wide, 8 blocks, GQA 12:4, 2048 FFN, 32000-token SentencePiece vocab: 99.5M parameters. */
const BENCH_MODEL: Omit<RandomLlamaOptions, 'type'> = {
  seed: 42,
  nLayer: 8,
  nEmbd: 768,
  nHead: 12,
  nHeadKv: 4,
  nFf: 2048,
  contextLength: 2048,
  vocab: 'llama-spm',
};

const OUTPUT_DIR = resolve(__dirname, '..', 'bench', 'models');

async function main(): Promise<void> {
  await mkdir(OUTPUT_DIR, { recursive: true });
  for (const type of ['f16', 'q8_0'] as const) {
    const path = join(OUTPUT_DIR, `random-llama-100m-${type}.gguf`);
    const started = Date.now();
    const { parameterCount, fileSize } = await writeRandomLlama(path, { ...BENCH_MODEL, type });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `${path}: ${(fileSize / 2 ** 20).toFixed(1)} MiB, ${(parameterCount / 1e6).toFixed(2)}M parameters (${seconds} s)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
