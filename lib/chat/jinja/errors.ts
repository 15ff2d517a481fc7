/**
 * Errors raised while compiling or rendering a template, named after the
 * Python exception jinja2 (or Python itself) raises in the same place, so a
 * failure reads as it would under transformers. @internal
 */

/** The Python exception types a render can fail with. */
export type PythonErrorType =
  | 'TemplateSyntaxError'
  | 'TemplateError'
  | 'TemplateRuntimeError'
  | 'UndefinedError'
  | 'AttributeError'
  | 'FilterArgumentError'
  | 'SecurityError'
  | 'TypeError'
  | 'ValueError'
  | 'KeyError'
  | 'IndexError'
  | 'ZeroDivisionError'
  | 'OverflowError'
  | 'RecursionError'
  | 'MemoryError';

/** A template failure, with the Python exception type it corresponds to. */
export class TemplateFailure extends Error {
  /** The Python exception type, e.g. `TypeError`. */
  readonly pythonType: PythonErrorType;

  constructor(pythonType: PythonErrorType, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TemplateFailure';
    this.pythonType = pythonType;
  }
}

/** Raises a Python-named failure. */
export function fail(type: PythonErrorType, message: string): never {
  throw new TemplateFailure(type, message);
}

/** A Python `TypeError`. */
export function typeError(message: string): never {
  return fail('TypeError', message);
}
