/**
 * The parsed JSON value of a constrained generation (`json_schema`, or
 * OpenAI's `response_format` JSON modes): the result's `json`, and the types
 * TypeScript can read off a schema written `as const`.
 */
import { LlamaError } from '../errors';
import type { FinishReason } from './types';

type Schema = unknown;

/** The property names an object schema lists under `required`. */
type RequiredKeys<S> = S extends { readonly required: readonly (infer K)[] } ? K : never;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ObjectOf<S> = S extends { readonly properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: JsonSchemaToType<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: JsonSchemaToType<P[K]>;
      }
    > &
      (S extends { readonly additionalProperties: false } ? unknown : S extends { readonly additionalProperties: true | object } ? Record<string, unknown> : unknown)
  : Record<string, unknown>;

type ArrayOf<S> = S extends { readonly prefixItems: unknown }
  ? unknown[]
  : S extends { readonly items: infer I }
    ? I extends false
      ? never[]
      : JsonSchemaToType<I>[]
    : unknown[];

type OfType<S, T> = T extends 'string'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? ArrayOf<S>
          : T extends 'object'
            ? ObjectOf<S>
            : unknown;

/**
 * The TypeScript type of the values a JSON Schema accepts, for a schema
 * written `as const`: `type` (one or a list), `const`, `enum`, `anyOf` /
 * `oneOf`, `properties` with `required` (keys not listed are optional; with
 * `additionalProperties` set, other keys are `unknown`), `items`. Anything
 * else (`$ref`, `allOf`, `prefixItems`, a schema not written `as const`)
 * gives `unknown`, never a type narrower than the values.
 *
 * @example
 * const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } as const;
 * type Args = JsonSchemaToType<typeof schema>; // { city: string }
 */
export type JsonSchemaToType<S extends Schema> = S extends true
  ? unknown
  : S extends false
    ? never
    : S extends { readonly $ref: unknown } | { readonly allOf: unknown }
      ? unknown
      : S extends { readonly const: infer C }
        ? C
        : S extends { readonly enum: readonly (infer E)[] }
          ? E
          : S extends { readonly anyOf: readonly (infer A)[] }
            ? JsonSchemaToType<A>
            : S extends { readonly oneOf: readonly (infer A)[] }
              ? JsonSchemaToType<A>
              : S extends { readonly type: infer T }
                ? T extends readonly (infer U)[]
                  ? U extends unknown
                    ? OfType<S, U>
                    : never
                  : OfType<S, T>
                : unknown;

/**
 * The JSON value type of a generation config: from its `json_schema`, or
 * from `response_format` (`json_schema` mode: its schema; `json_object`: an
 * object). `unknown` otherwise.
 */
export type JsonOfConfig<C> = C extends { readonly json_schema: infer S }
  ? [S] extends [undefined | null]
    ? JsonOfFormat<C>
    : JsonSchemaToType<S>
  : JsonOfFormat<C>;

type JsonOfFormat<C> = C extends { readonly response_format: infer F }
  ? F extends { readonly type: 'json_schema'; readonly json_schema: { readonly schema: infer S } }
    ? JsonSchemaToType<S>
    : F extends { readonly type: 'json_object' }
      ? Record<string, unknown>
      : unknown
  : unknown;

/**
 * Gives `output` a lazy, non-enumerable `json` getter: the text parsed as
 * JSON, or an `INCOMPLETE_OUTPUT` error when it is not a complete JSON value
 * (the generation stopped first).
 * @internal
 */
export function addJsonGetter<T extends { text: string; finishReason: FinishReason }>(output: T, source: { text: string; finishReason: FinishReason }): T {
  let parsed: { value: unknown } | undefined;
  Object.defineProperty(output, 'json', {
    enumerable: false,
    configurable: true,
    get(): unknown {
      if (!parsed) parsed = { value: parseJsonOutput(source.text, source.finishReason) };
      return parsed.value;
    },
  });
  return output;
}

function parseJsonOutput(text: string, finishReason: FinishReason): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why =
      finishReason === 'eos'
        ? 'the model ended it'
        : finishReason === 'length'
          ? 'max_new_tokens (or the context) ended it first'
          : finishReason === 'stop_string'
            ? 'a stop string ended it first'
            : finishReason === 'max_time'
              ? 'max_time ended it first'
              : 'it was aborted first';
    const shown = text.length > 80 ? `${text.slice(0, 40)}…${text.slice(-40)}` : text;
    throw new LlamaError('INCOMPLETE_OUTPUT', `the output is not a complete JSON value (${why}): ${JSON.stringify(shown)}`, { cause: err });
  }
}
