/** Flags shared by the commands that load a model and create a context. */
import { availableParallelism } from 'node:os';
import type { ContextOptions } from '../context';
import type { LoadModelOptions } from '../model';
import { physicalCoreCount } from '../system';
import { flagChoice, flagInteger, flagText, type Flag, type ParsedArgs } from './flags';
import { UsageError } from './usageError';

const GROUP = 'Model and context';

/** --gpu-layers, --device, --threads, --context-size, --batch-size, --flash-attention. */
export function modelFlags(options: { threads?: boolean; contextSize?: boolean } = {}): Flag[] {
  const flags: Flag[] = [
    { name: 'gpu-layers', type: 'string', value: 'n|max|auto', defaultText: 'auto', help: 'layers offloaded to the GPU (auto: as many as fit; 0: CPU only)', group: GROUP },
    { name: 'device', type: 'string', value: 'names', defaultText: 'every GPU', help: 'GPU devices to use, comma-separated (e.g. CUDA0,CUDA1; see info --system)', group: GROUP },
    { name: 'flash-attention', type: 'string', value: 'auto|on|off', defaultText: 'auto', help: 'flash attention', group: GROUP },
  ];
  if (options.threads !== false) {
    flags.push({ name: 'threads', short: 't', type: 'string', value: 'n', defaultText: `${physicalCoreCount()} (physical cores)`, help: 'CPU threads', group: GROUP });
  }
  if (options.contextSize !== false) {
    flags.push(
      { name: 'context-size', short: 'c', type: 'string', value: 'n', defaultText: "the model's training context, at most 4096", help: 'KV cache size in tokens', group: GROUP },
      { name: 'batch-size', short: 'b', type: 'string', value: 'n', defaultText: '512', help: 'most tokens per llama_decode call', group: GROUP },
    );
  }
  return flags;
}

/** The loadModel() options the flags set. */
export function loadOptions(parsed: ParsedArgs): LoadModelOptions {
  const options: LoadModelOptions = {};
  const text = flagText(parsed, 'gpu-layers');
  if (text === 'max' || text === 'auto') options.gpuLayers = text;
  else if (text !== undefined) options.gpuLayers = flagInteger(parsed, 'gpu-layers', 0);
  const devices = flagText(parsed, 'device');
  if (devices !== undefined) options.devices = devices.split(',').map((d) => d.trim()).filter((d) => d !== '');
  return options;
}

/** The createContext() options the flags set (`threads: false`: --threads is the command's own). */
export function contextOptions(parsed: ParsedArgs, read: { threads?: boolean } = {}): ContextOptions {
  const options: ContextOptions = {};
  const threads = read.threads === false ? undefined : flagInteger(parsed, 'threads', 1, availableParallelism());
  if (threads !== undefined) options.threads = threads;
  const contextSize = flagInteger(parsed, 'context-size', 1);
  if (contextSize !== undefined) options.contextSize = contextSize;
  const batchSize = flagInteger(parsed, 'batch-size', 1);
  if (batchSize !== undefined) options.batchSize = batchSize;
  const fa = flagChoice(parsed, 'flash-attention', ['auto', 'on', 'off'] as const);
  if (fa !== undefined) options.flashAttention = fa === 'on' ? 'enabled' : fa === 'off' ? 'disabled' : 'auto';
  if (options.batchSize !== undefined && options.contextSize !== undefined && options.batchSize > options.contextSize) {
    throw new UsageError(`--batch-size (${options.batchSize}) cannot exceed --context-size (${options.contextSize})`);
  }
  return options;
}
