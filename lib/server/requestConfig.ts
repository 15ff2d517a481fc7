/**
 * A request body → the generation config it runs with. The fields an
 * endpoint reads itself (`messages`, `stream`...) are taken out, the ones
 * OpenAI clients send that mean nothing here (`user`...) are dropped, and
 * every other field goes to the library's config layer as a call layer:
 * OpenAI's names are aliases there (`max_tokens`, `stop`, `n`,
 * `response_format`...), transformers' and llama.cpp's fields work as in
 * `generate()`, and an unknown field is a 400 naming it (an OpenAI field with
 * an equivalent here, such as `functions`, names the equivalent). @internal
 */
import { generationConfigLayer, resolveConfig, type ConfigLayer, type GenerationConfigInput, type ResolvedGenerationConfig } from '../config';
import { SERVER_IGNORED_FIELDS } from '../config/foreign';
import { toHttpError } from './errors';

/**
 * Request fields accepted and ignored: bookkeeping with no effect on a local
 * model (lib/config/foreign.ts, the table of OpenAI's and llama.cpp's names).
 */
export const IGNORED_FIELDS: readonly string[] = SERVER_IGNORED_FIELDS;

/** A body split into the endpoint's own fields and the generation config fields. */
export interface SplitRequest {
  /** The fields the endpoint reads itself. */
  own: Record<string, unknown>;
  /** Everything else but the ignored fields: generation config. */
  config: Record<string, unknown>;
}

/** Splits `body` by the endpoint's `own` field names. */
export function splitRequest(body: Record<string, unknown>, own: readonly string[]): SplitRequest {
  const out: SplitRequest = { own: {}, config: {} };
  for (const [key, value] of Object.entries(body)) {
    if (own.includes(key)) out.own[key] = value;
    else if (!IGNORED_FIELDS.includes(key)) out.config[key] = value;
  }
  return out;
}

/**
 * OpenAI's defaults where they differ from transformers': sampling on (OpenAI
 * samples at temperature 1 unless told otherwise) without transformers'
 * top-k of 50. The model's GGUF recommendations and the server's config go
 * over these; the request over everything.
 */
export const OPENAI_DEFAULTS: GenerationConfigInput = { do_sample: true, top_k: 0 };

/** OpenAI's `temperature: 0` as greedy decoding (`do_sample: false`, no temperature), unless `do_sample` is set. */
export function zeroTemperatureIsGreedy(config: GenerationConfigInput): GenerationConfigInput {
  if (config.temperature !== 0 || config.do_sample !== undefined) return config;
  const { temperature: _zero, ...rest } = config;
  return { ...rest, do_sample: false };
}

/**
 * The config of one request, lowest layer first: {@link OPENAI_DEFAULTS}
 * with `endpoint`'s defaults (its default length), then `layers` (the
 * model's GGUF recommendations, the server's config), then the request's
 * own fields. `temperature: 0` means greedy decoding, as in OpenAI's API.
 * Invalid fields throw a 400 naming the field.
 */
export function requestConfig(
  layers: ReadonlyArray<ConfigLayer | GenerationConfigInput>,
  endpoint: GenerationConfigInput,
  fields: Record<string, unknown>,
): ResolvedGenerationConfig {
  const call: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== null) call[key] = value; // OpenAI clients send null for "unset"
  try {
    const defaults = generationConfigLayer({ ...OPENAI_DEFAULTS, ...endpoint } as Record<string, unknown>);
    return resolveConfig(defaults, ...layers, zeroTemperatureIsGreedy(call));
  } catch (err) {
    throw toHttpError(err);
  }
}
