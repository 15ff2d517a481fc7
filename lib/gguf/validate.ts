/**
 * Checks a GGUF header for what llama.cpp asserts on (aborting the process)
 * instead of reporting: loadModel() runs this before llama.cpp sees the file,
 * so such a file is an `INVALID_MODEL` error. Each rule names the assert it
 * stands in front of. Files llama.cpp reports cleanly need no rule here.
 * @internal
 */
import { LlamaError } from '../errors';
import { GgmlType, type GgufHeader, type GgufValue } from './types';

/** Smallest data alignment ggml's buffers work with (ggml-backend asserts on less). */
const MIN_ALIGNMENT = 32;
/** Types ggml's binary ops (the norms' multiply) accept for a norm weight. */
const NORM_TYPES: ReadonlySet<number> = new Set([GgmlType.F32, GgmlType.F16, GgmlType.BF16]);

/** `LLAMA_TOKEN_TYPE_BYTE` in `tokenizer.ggml.token_type`. */
const BYTE_TOKEN_TYPE = 6;

function invalid(path: string, message: string): LlamaError {
  return new LlamaError('INVALID_MODEL', `${path}: ${message}`);
}

function asNumber(value: GgufValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** A per-layer value: a number (every layer) or an array (one per layer); undefined when absent. */
function perLayer(value: GgufValue | undefined, layers: number): number[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return (value as unknown[]).map((v) => Number(v));
  const n = asNumber(value);
  return n === undefined ? undefined : Array.from({ length: layers }, () => n);
}

/** Throws INVALID_MODEL (naming `path` and the key) for a header llama.cpp would abort on. */
export function validateForLlama(header: GgufHeader, path: string): void {
  const m = header.metadata;
  if (header.alignment < MIN_ALIGNMENT) {
    throw invalid(path, `general.alignment is ${header.alignment}; ggml needs at least ${MIN_ALIGNMENT}`);
  }
  const arch = m['general.architecture'];
  if (typeof arch !== 'string' || arch === '') return; // llama.cpp reports a missing architecture itself
  const blocks = asNumber(m[`${arch}.block_count`]);
  const vocabOnly = header.tensorCount === 0; // a vocabulary file (loadModel's vocabOnly): no weights to check
  if (blocks !== undefined && !vocabOnly) {
    // every block has at least one tensor: more blocks than tensors cannot be a model
    if (!Number.isInteger(blocks) || blocks < 1 || blocks > header.tensorCount) {
      throw invalid(path, `${arch}.block_count is ${blocks}, but the file has ${header.tensorCount} tensors`);
    }
  }
  const layers = blocks ?? 0;
  for (const key of [`${arch}.attention.layer_norm_rms_epsilon`, `${arch}.attention.layer_norm_epsilon`]) {
    const eps = asNumber(m[key]);
    if (m[key] !== undefined && (eps === undefined || !Number.isFinite(eps) || eps < 0)) {
      throw invalid(path, `${key} is ${String(m[key])}; a norm epsilon is a finite number >= 0`);
    }
  }
  const heads = perLayer(m[`${arch}.attention.head_count`], layers);
  const kvHeads = perLayer(m[`${arch}.attention.head_count_kv`], layers);
  if (heads && kvHeads) {
    for (let il = 0; il < Math.min(heads.length, kvHeads.length); il++) {
      // a layer with attention heads but no key/value heads divides by zero (n_gqa)
      if (heads[il] > 0 && !(kvHeads[il] > 0)) {
        throw invalid(path, `${arch}.attention.head_count_kv is ${kvHeads[il]} for layer ${il}, which has ${heads[il]} attention heads`);
      }
      if (heads[il] > 0 && heads[il] % kvHeads[il] !== 0) {
        throw invalid(path, `layer ${il} has ${heads[il]} attention heads, not a multiple of its ${kvHeads[il]} key/value heads`);
      }
    }
  }
  const experts = asNumber(m[`${arch}.expert_count`]);
  const used = asNumber(m[`${arch}.expert_used_count`]);
  if (experts !== undefined || used !== undefined) {
    const e = experts ?? 0;
    const u = used ?? 0;
    if (!Number.isInteger(e) || !Number.isInteger(u) || e < 0 || u < 0 || u > e || (e > 0) !== (u > 0)) {
      throw invalid(path, `${arch}.expert_used_count (${String(used)}) must be between 1 and ${arch}.expert_count (${String(experts)}), or both 0`);
    }
  }
  for (const t of vocabOnly ? [] : header.tensors) {
    if (/(^|[._])norm(_\w+)?\.weight$/.test(t.name) && !NORM_TYPES.has(t.type)) {
      throw invalid(path, `tensor ${t.name} has type ${GgmlType[t.type] ?? t.type}; norm weights are F32, F16 or BF16`);
    }
  }
  const tokens = m['tokenizer.ggml.tokens'];
  if (Array.isArray(tokens)) {
    // llama.cpp's vocabulary maps text to id and asserts each text is new
    const seen = new Map<string, number>();
    (tokens as unknown[]).forEach((text, id) => {
      if (typeof text !== 'string') return;
      const first = seen.get(text);
      if (first !== undefined) throw invalid(path, `tokens ${first} and ${id} of tokenizer.ggml.tokens are both ${JSON.stringify(text)}`);
      seen.set(text, id);
    });
  }
  const types = m['tokenizer.ggml.token_type'];
  if (m['tokenizer.ggml.model'] === 'bert' && Array.isArray(types)) {
    // a WordPiece vocabulary has no byte tokens: llama.cpp aborts rendering one
    const byteToken = (types as unknown[]).indexOf(BYTE_TOKEN_TYPE);
    if (byteToken >= 0) throw invalid(path, `token ${byteToken} is a byte token (type 6), which a WordPiece (bert) vocabulary cannot have`);
  }
}
