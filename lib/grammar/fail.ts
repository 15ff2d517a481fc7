/**
 * How the JSON Schema → GBNF converter fails: {@link fail} and
 * {@link unsupported} throw the public `INVALID_ARGUMENT` error, while
 * {@link Unsatisfiable} stays internal (a subschema without values).
 */
import { LlamaError } from '../errors';

/** Throws `INVALID_ARGUMENT` with a `json_schema: ` message. */
export function fail(message: string): never {
  throw new LlamaError('INVALID_ARGUMENT', `json_schema: ${message}`);
}

/** Throws `INVALID_ARGUMENT` saying that `what` is not supported. */
export function unsupported(what: string): never {
  fail(`${what} not supported`);
}

/** Thrown inside the converter when a subschema admits no value at all. */
export class Unsatisfiable extends Error {}
