/**
 * What the generation endpoints share: the `stream` / `stream_options`
 * fields, and starting a generation with the library's synchronous errors
 * turned into 400s. @internal
 */
import type { ResolvedGenerationConfig } from '../config';
import type { Generation } from '../generation/generation';
import type { GenerateOptions, GenerationInput } from '../generation/types';
import { badRequest, toHttpError } from './errors';
import type { ServerState } from './state';

/** The streaming fields of a request. */
export interface StreamFlags {
  /** `stream: true`: server-sent events. */
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with the usage. */
  includeUsage: boolean;
}

/** Reads `stream` and `stream_options`. */
export function streamFlags(own: Record<string, unknown>): StreamFlags {
  const { stream, stream_options: options } = own;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') throw badRequest('stream must be a boolean', 'stream');
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' || Array.isArray(options)) throw badRequest('stream_options must be an object', 'stream_options');
    const include = (options as { include_usage?: unknown }).include_usage;
    if (include !== undefined && include !== null && typeof include !== 'boolean') {
      throw badRequest('stream_options.include_usage must be a boolean', 'stream_options');
    }
    includeUsage = include === true;
  }
  return { stream: stream === true, includeUsage };
}

/** `context.generate()` for a request: argument errors (bad tools or tool_choice included) become 400s. */
export function startGeneration(state: ServerState, input: GenerationInput, config: ResolvedGenerationConfig, options: GenerateOptions): Generation {
  try {
    return state.context.generate(input, config, { ...options, chunkInterval: state.chunkInterval });
  } catch (err) {
    throw toHttpError(err);
  }
}
