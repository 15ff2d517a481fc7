/** OpenAI-shaped errors: `{ error: { message, type, param, code } }` with an HTTP status. */
import { ALIASES, FIELD_NAMES } from '../config';
import { isLlamaError, type ErrorCode } from '../errors';

const FIELDS: ReadonlySet<string> = new Set([...FIELD_NAMES, ...Object.keys(ALIASES)]);

/** The body of every error response, as OpenAI's API sends it. */
export interface OpenAIErrorBody {
  error: {
    /** What went wrong, for a person. */
    message: string;
    /** `invalid_request_error`, `authentication_error`, `rate_limit_error`, `server_error`, `not_found_error`. */
    type: string;
    /** The request field at fault, or null. */
    param: string | null;
    /** A machine-readable code, or null. */
    code: string | null;
  };
}

/** An error the server answers with `status` and an OpenAI-shaped body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  /** The response body. */
  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 `invalid_request_error` naming `param`. */
export function badRequest(message: string, param: string | null = null, code: string | null = null): HttpError {
  return new HttpError(400, message, 'invalid_request_error', param, code);
}

/** The field a library error message is about: messages start with the field name, or quote it. */
function paramOf(message: string): string | null {
  const quoted = /^(?:unknown|unsupported) generation option '([^']+)'/.exec(message);
  if (quoted) return quoted[1];
  const leading = /^([a-z_][a-z0-9_]*)\b/.exec(message);
  return leading && FIELDS.has(leading[1]) ? leading[1] : null;
}

const STATUS: Partial<Record<ErrorCode, [number, string, string | null]>> = {
  INVALID_ARGUMENT: [400, 'invalid_request_error', null],
  CONTEXT_OVERFLOW: [400, 'invalid_request_error', 'context_length_exceeded'],
  UNSUPPORTED: [400, 'invalid_request_error', 'unsupported'],
  NOT_IMPLEMENTED: [400, 'invalid_request_error', 'not_implemented'],
  DISPOSED: [503, 'server_error', 'shutting_down'],
  ABORTED: [499, 'invalid_request_error', 'aborted'],
  OUT_OF_MEMORY: [503, 'server_error', 'out_of_memory'],
};

/** Any thrown value as an {@link HttpError}: library errors by code, anything else a 500. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (isLlamaError(err)) {
    const [status, type, code] = STATUS[err.code] ?? [500, 'server_error', null];
    return new HttpError(status, err.message, type, status === 400 ? paramOf(err.message) : null, code ?? err.code.toLowerCase());
  }
  return new HttpError(500, err instanceof Error ? err.message : String(err), 'server_error', null, 'internal_error');
}
