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
/**
 * Norm weights and biases are applied to F32 activations by ggml's binary ops
 * (mul, add), whose CPU kernels take an F32 second operand only: an F16 or
 * BF16 one aborts at the first decode ("binary_op: unsupported types").
 */
const VECTOR_TYPES: ReadonlySet<number> = new Set([GgmlType.F32]);
/** Tensors applied that way: norm weights and biases, and every bias. */
const VECTOR_TENSOR = /(^|[._])norm(_\w+)?\.(weight|bias)$|\.bias$/;
/** `GGML_ROPE_TYPE_MROPE`: set in the multi-section rope types (mrope, vision, imrope). */
const ROPE_TYPE_MROPE = 8;

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
    if (VECTOR_TENSOR.test(t.name) && !VECTOR_TYPES.has(t.type)) {
      throw invalid(path, `tensor ${t.name} has type ${GgmlType[t.type] ?? t.type}; norm weights and biases must be F32`);
    }
  }
  const tokens = m['tokenizer.ggml.tokens'];
  if (Array.isArray(tokens)) {
    // llama.cpp's vocabulary maps text to id and asserts each text is new
    const seen = new Map<string, number>();
    (tokens as unknown[]).forEach((full, id) => {
      if (typeof full !== 'string') return;
      const text = full.split('\0', 1)[0]; // llama.cpp reads a token's text up to a NUL
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

/**
 * Checks what only llama.cpp's reading of the file tells: a model whose rope
 * has several sections (Qwen2-VL style mrope, vision, imrope) needs
 * `<arch>.rope.dimension_sections` with a positive entry among the first
 * three, or ggml aborts at the first decode. Throws `INVALID_MODEL`.
 */
export function validateLoaded(header: GgufHeader, ropeType: number, path: string): void {
  if (ropeType < 0 || (ropeType & ROPE_TYPE_MROPE) === 0) return;
  const arch = header.metadata['general.architecture'];
  const key = `${String(arch)}.rope.dimension_sections`;
  const sections = header.metadata[key];
  const positive = Array.isArray(sections) && (sections as unknown[]).slice(0, 3).some((n) => typeof n === 'number' && n > 0);
  if (!positive) throw invalid(path, `${key} needs a positive entry among its first three (the model's rope has several sections)`);
}
