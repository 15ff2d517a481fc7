/** The globals a chat template sees: jinja2's (`range`, `namespace`, `dict`, `joiner`, ...) and transformers' (`raise_exception`, `strftime_now`). @internal */
import { fail, typeError } from './errors';
import { pyStr } from './repr';
import { strftime } from './strftime';
import { Namespace, PyCallable, PyView, isStr, iterate, text, typeName } from './values';

/** jinja2's sandbox refuses larger ranges (`MAX_RANGE`). */
const MAX_RANGE = 100000;

function intArg(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'boolean') return Number(v);
  return typeError(`'${typeName(v)}' object cannot be interpreted as an integer`);
}

function range(args: unknown[]): PyView {
  if (args.length === 0 || args.length > 3) typeError(`range expected 1 to 3 arguments, got ${args.length}`);
  const [start, stop, step] = args.length === 1 ? [0, intArg(args[0]), 1] : [intArg(args[0]), intArg(args[1]), args.length === 3 ? intArg(args[2]) : 1];
  if (step === 0) fail('ValueError', 'range() arg 3 must not be zero');
  const items: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
    items.push(i);
    if (items.length > MAX_RANGE) fail('OverflowError', `Range too big. The sandbox blocks ranges larger than MAX_RANGE (${MAX_RANGE}).`);
  }
  return new PyView('range', items, step === 1 ? `range(${start}, ${stop})` : `range(${start}, ${stop}, ${step})`);
}

/** What a render needs from outside: the clock for `strftime_now`. */
export interface GlobalOptions {
  /** The time `strftime_now` formats (transformers: `datetime.now()`). */
  now: () => Date;
}

/** The global scope's variables. */
export function makeGlobals(options: GlobalOptions): Map<string, unknown> {
  const g = new Map<string, unknown>();
  g.set('range', new PyCallable('range', (args) => range(args)));
  g.set(
    'namespace',
    new PyCallable('namespace', (args, kwargs) => {
      const ns = new Namespace();
      if (args.length > 1) typeError(`namespace expected at most 1 argument, got ${args.length}`);
      if (args.length === 1) {
        const init = args[0];
        if (init instanceof Map) for (const [k, v] of init) ns.attrs.set(pyStr(k), v);
        else for (const pair of iterate(init)) {
          const [k, v] = iterate(pair);
          ns.attrs.set(pyStr(k), v);
        }
      }
      for (const [k, v] of kwargs) ns.attrs.set(k, v);
      return ns;
    }),
  );
  g.set(
    'dict',
    new PyCallable('dict', (args, kwargs) => {
      const m = new Map<unknown, unknown>();
      if (args.length > 0) {
        const init = args[0];
        if (init instanceof Map) for (const [k, v] of init) m.set(k, v);
        else for (const pair of iterate(init)) {
          const kv = iterate(pair);
          if (kv.length !== 2) fail('ValueError', `dictionary update sequence element has length ${kv.length}; 2 is required`);
          m.set(kv[0], kv[1]);
        }
      }
      for (const [k, v] of kwargs) m.set(k, v);
      return m;
    }),
  );
  g.set(
    'joiner',
    new PyCallable('joiner', (args) => {
      const sep = args.length > 0 ? pyStr(args[0]) : ', ';
      let used = false;
      return new PyCallable('joiner', () => {
        if (!used) {
          used = true;
          return '';
        }
        return sep;
      });
    }),
  );
  g.set(
    'raise_exception',
    new PyCallable('raise_exception', (args) => fail('TemplateError', args.length > 0 ? pyStr(args[0]) : '')),
  );
  g.set(
    'strftime_now',
    new PyCallable('strftime_now', (args) => {
      if (!isStr(args[0])) return typeError(`strftime() argument 1 must be str, not ${typeName(args[0])}`);
      return strftime(options.now(), text(args[0]));
    }),
  );
  return g;
}

