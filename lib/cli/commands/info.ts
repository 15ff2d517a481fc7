/**
 * `llama-generate info <model.gguf>`: what a model is, from llama.cpp and
 * the GGUF header: architecture, parameters, size, tensor types, context
 * length, vocabulary, special tokens, chat template, recommended sampling.
 */
import { FIELD_NAMES, modelConfigLayer, resolveConfig } from '../../config';
import { readGgufHeader } from '../../gguf/reader';
import type { Model } from '../../model';
import { listDevices, systemInfo, type Device, type SystemInfo } from '../../devices';
import { parseCommand, standardFlags } from '../command';
import { flagBoolean, parseFlags, type Flag } from '../flags';
import { renderHelp } from '../help';
import { UsageError } from '../usageError';
import type { CommandIo } from '../io';
import { openModel } from '../openModel';

const GGML_TYPES = [
  'F32', 'F16', 'Q4_0', 'Q4_1', 'Q4_2', 'Q4_3', 'Q5_0', 'Q5_1', 'Q8_0', 'Q8_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K',
  'IQ2_XXS', 'IQ2_XS', 'IQ3_XXS', 'IQ1_S', 'IQ4_NL', 'IQ3_S', 'IQ2_S', 'IQ4_XS', 'I8', 'I16', 'I32', 'I64', 'F64', 'IQ1_M',
  'BF16', 'Q4_0_4_4', 'Q4_0_4_8', 'Q4_0_8_8', 'TQ1_0', 'TQ2_0', 'IQ4_NL_4_4', 'IQ4_NL_4_8', 'IQ4_NL_8_8', 'MXFP4', 'NVFP4',
  'Q1_0', 'Q2_0',
];

/** The flags of `info`. */
export function infoFlags(): Flag[] {
  return [
    { name: 'json', type: 'boolean', help: 'print the information as JSON' },
    { name: 'system', type: 'boolean', help: 'show the native binary instead: where it was loaded from, the CPU variant, backends and devices (no model needed)' },
    ...standardFlags(),
  ];
}

const HELP = {
  usage: 'llama-generate info <model.gguf> [--json] | llama-generate info --system [--json]',
  description: "Shows what the model is: architecture, parameters, size, tensor types, context length,\nvocabulary, special tokens, chat template, and the sampling defaults generate() uses for it.",
  examples: ['llama-generate info model.gguf', 'llama-generate info model.gguf --json | jq .chatTemplate', 'llama-generate info --system'],
};

/** Everything `info` reports. */
export interface ModelInfoReport {
  file: string;
  architecture: string;
  name: string | null;
  description: string;
  parameters: number;
  sizeBytes: number;
  /** Share of the parameters per tensor type, most first. */
  tensorTypes: { type: string; parameters: number; share: number }[];
  /** The most common type of the 2-D weights: what "quantization" usually names. */
  quantization: string;
  contextLength: number;
  embeddingSize: number;
  layers: number;
  vocabulary: { size: number; type: string };
  specialTokens: Record<string, { id: number; text: string } | null>;
  endOfGenerationTokens: { id: number; text: string }[];
  addsBos: boolean;
  addsEos: boolean;
  chatTemplate: string | null;
  /** The GGUF `general.sampling.*` keys. */
  recommendedSampling: Record<string, unknown>;
  /** The config fields generate() takes from the model (over the library defaults). */
  generationDefaults: Record<string, unknown>;
}

async function tensorTypes(path: string): Promise<{ types: ModelInfoReport['tensorTypes']; quantization: string }> {
  const header = await readGgufHeader(path, { maxArrayLength: 0 });
  const all = new Map<string, number>();
  const matrices = new Map<string, number>();
  let total = 0;
  for (const t of header.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const type = GGML_TYPES[t.type] ?? `type ${t.type}`;
    all.set(type, (all.get(type) ?? 0) + n);
    if (t.shape.filter((d) => d > 1).length >= 2) matrices.set(type, (matrices.get(type) ?? 0) + n);
    total += n;
  }
  const types = [...all].sort((a, b) => b[1] - a[1]).map(([type, parameters]) => ({ type, parameters, share: total ? parameters / total : 0 }));
  const quantization = [...matrices].sort((a, b) => b[1] - a[1])[0]?.[0] ?? types[0]?.type ?? 'unknown';
  return { types, quantization };
}

/** Collects the report. */
export async function modelInfo(model: Model): Promise<ModelInfoReport> {
  const piece = (id: number): string => Buffer.from(model.tokenToPiece(id, { special: true })).toString('utf8');
  const special: ModelInfoReport['specialTokens'] = {};
  for (const [key, id] of Object.entries(model.specialTokens)) special[key] = id === null ? null : { id, text: piece(id) };
  const { types, quantization } = await tensorTypes(model.path);
  const layer = modelConfigLayer(model.samplingMetadata);
  const resolved = resolveConfig(layer);
  const generationDefaults: Record<string, unknown> = {};
  for (const field of FIELD_NAMES) if (resolved.sources[field] === 'model') generationDefaults[field] = resolved.values[field];
  return {
    file: model.path,
    architecture: model.architecture,
    name: model.name ?? null,
    description: model.description,
    parameters: model.parameterCount,
    sizeBytes: model.sizeBytes,
    tensorTypes: types,
    quantization,
    contextLength: model.trainContextSize,
    embeddingSize: model.embeddingSize,
    layers: model.layerCount,
    vocabulary: { size: model.vocabSize, type: model.vocabType },
    specialTokens: special,
    endOfGenerationTokens: model.eogTokens.map((id) => ({ id, text: piece(id) })),
    addsBos: model.addsBos,
    addsEos: model.addsEos,
    chatTemplate: model.chatTemplate ?? null,
    recommendedSampling: { ...model.samplingMetadata },
    generationDefaults,
  };
}

function count(n: number): string {
  const units: [number, string][] = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(2)}${unit}`;
  return String(n);
}

function bytes(n: number): string {
  const units: [number, string][] = [[2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(2)} ${unit}`;
  return `${n} B`;
}

/** The human-readable form. */
export function renderInfo(r: ModelInfoReport): string {
  const rows: [string, string][] = [
    ['file', r.file],
    ['architecture', r.architecture],
    ['name', r.name ?? '–'],
    ['description', r.description],
    ['parameters', `${count(r.parameters)} (${r.parameters.toLocaleString('en-US')})`],
    ['size', `${bytes(r.sizeBytes)} (${r.sizeBytes.toLocaleString('en-US')} bytes)`],
    ['quantization', r.quantization],
    ['tensor types', r.tensorTypes.map((t) => `${t.type} ${(t.share * 100).toFixed(1)}%`).join(', ')],
    ['context length', `${r.contextLength} (training)`],
    ['embedding size', String(r.embeddingSize)],
    ['layers', String(r.layers)],
    ['vocabulary', `${r.vocabulary.size} tokens (${r.vocabulary.type})`],
    ['special tokens', Object.entries(r.specialTokens).filter(([, t]) => t).map(([k, t]) => `${k} ${t!.id} ${JSON.stringify(t!.text)}`).join(', ') || '–'],
    ['end of generation', r.endOfGenerationTokens.map((t) => `${t.id} ${JSON.stringify(t.text)}`).join(', ') || '–'],
    ['adds BOS / EOS', `${r.addsBos ? 'yes' : 'no'} / ${r.addsEos ? 'yes' : 'no'}`],
    ['recommended sampling', Object.entries(r.recommendedSampling).map(([k, v]) => `${k} ${String(v)}`).join(', ') || "none (GGUF general.sampling.*)"],
    ['generate() defaults', Object.entries(r.generationDefaults).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ') || "the library's (greedy, transformers' defaults)"],
    ['chat template', r.chatTemplate === null ? 'none' : `${r.chatTemplate.length} characters:`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}${v}`);
  if (r.chatTemplate !== null) lines.push(...r.chatTemplate.split('\n').map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}

/** The human-readable form of `info --system`. */
export function renderSystem(s: SystemInfo, devices: readonly Device[]): string {
  const m = s.modules;
  const rows: [string, string][] = [
    ['binary', s.binary ? `${s.binary.addon} (${s.binary.source}${s.binary.packageName ? `: ${s.binary.packageName}` : ''})` : '–'],
    ['llama.cpp', s.llamaCppBuild],
    ['CPU variant', m ? m.cpuVariant || 'single (built for one CPU)' : '–'],
    ['CPU features', m ? Object.entries(m.cpuFeatures).map(([k, v]) => (v === '1' ? k : `${k}=${v}`)).join(' ') : '–'],
    ['backends', m ? m.loaded.map((b) => `${b.backend} (${b.devices} device${b.devices === 1 ? '' : 's'})`).join(', ') : '–'],
    ...(m?.failed.length ? m.failed.map((f): [string, string] => ['not loaded', `${f.path}: ${f.reason}`]) : []),
    ...(m?.skipped.length ? m.skipped.map((f): [string, string] => ['skipped', `${f.path}: ${f.reason}`]) : []),
    ['GPU packages', s.binary?.gpuPackages.map((p) => p.packageName).join(', ') || 'none installed'],
    ['GPU offload', s.supportsGpuOffload ? 'yes' : 'no'],
    ...devices.map((d): [string, string] => [
      `device ${d.name}`,
      `${d.description} (${d.type}${d.memoryTotal ? `, ${bytes(d.memoryFree)} free of ${bytes(d.memoryTotal)}` : ''})`,
    ]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join('\n') + '\n';
}

/** Runs `info`; returns the exit code. */
export async function info(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.includes('--system')) {
    const parsed = parseFlags(argv, infoFlags());
    if (flagBoolean(parsed, 'help')) {
      io.stdout.write(renderHelp(HELP, infoFlags()));
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`info --system takes no model, got '${parsed.positionals[0]}'`);
    const report = systemInfo();
    const devices = listDevices();
    io.stdout.write(flagBoolean(parsed, 'json') ? JSON.stringify({ ...report, devices }, null, 2) + '\n' : renderSystem(report, devices));
    return 0;
  }
  const line = parseCommand(argv, infoFlags(), HELP, io, 0);
  if (!line) return 0;
  const { parsed, modelPath: path } = line;
  const model = await openModel(path, { gpuLayers: 0 }, io);
  try {
    const report = await modelInfo(model);
    io.stdout.write(flagBoolean(parsed, 'json') ? JSON.stringify(report, null, 2) + '\n' : renderInfo(report));
    return 0;
  } finally {
    await model.disposeAsync();
  }
}
