/** jinja2's built-in tests (`x is defined`, `x is string`, `x is divisibleby 3`) with Python semantics. @internal */
import { fail, typeError } from './errors';
import { pyCompare, pyContains, pyEquals } from './operators';
import { pyStr } from './repr';
import { Markup, PyCallable, PyFloat, PyView, Tuple, Undefined, isIterable, isNumber, isStr, num, typeName } from './values';

type Test = (value: unknown, args: unknown[]) => boolean;

function isSequence(v: unknown): boolean {
  // jinja2: len(value) and value.__getitem__ both work (Undefined has both).
  return v instanceof Undefined || isStr(v) || Array.isArray(v) || v instanceof Tuple || v instanceof Map || (v instanceof PyView && v.kind === 'range');
}

const TESTS: Record<string, Test> = {
  boolean: (v) => typeof v === 'boolean',
  callable: (v) => v instanceof PyCallable || v instanceof Undefined, // Undefined has __call__ (it raises when called)
  defined: (v) => !(v instanceof Undefined),
  divisibleby: (v, [n]) => {
    if (v instanceof Undefined) v.fail();
    if (!isNumber(v) || !isNumber(n)) return typeError(`unsupported operand type(s) for %: '${typeName(v)}' and '${typeName(n)}'`);
    if (num(n) === 0) fail('ZeroDivisionError', 'integer division or modulo by zero');
    return num(v) % num(n) === 0;
  },
  eq: (v, [o]) => pyEquals(v, o),
  escaped: (v) => v instanceof Markup,
  even: (v) => {
    if (v instanceof Undefined) v.fail();
    if (!isNumber(v)) return typeError(`not all arguments converted during string formatting`);
    return num(v) % 2 === 0;
  },
  false: (v) => v === false,
  filter: () => false,
  float: (v) => v instanceof PyFloat,
  ge: (v, [o]) => pyCompare(v, o, '>=') >= 0,
  gt: (v, [o]) => pyCompare(v, o, '>') > 0,
  in: (v, [seq]) => pyContains(seq, v),
  integer: (v) => typeof v === 'number',
  iterable: (v) => isIterable(v),
  le: (v, [o]) => pyCompare(v, o, '<=') <= 0,
  lower: (v) => {
    const s = pyStr(v);
    return /\p{Ll}/u.test(s) && !/[\p{Lu}\p{Lt}]/u.test(s);
  },
  lt: (v, [o]) => pyCompare(v, o, '<') < 0,
  mapping: (v) => v instanceof Map,
  ne: (v, [o]) => !pyEquals(v, o),
  none: (v) => v === null,
  number: (v) => isNumber(v),
  odd: (v) => {
    if (v instanceof Undefined) v.fail();
    if (!isNumber(v)) return typeError(`not all arguments converted during string formatting`);
    return Math.abs(num(v) % 2) === 1;
  },
  sameas: (v, [o]) => v === o,
  sequence: isSequence,
  string: (v) => isStr(v),
  test: () => false,
  true: (v) => v === true,
  undefined: (v) => v instanceof Undefined,
  upper: (v) => {
    const s = pyStr(v);
    return /\p{Lu}/u.test(s) && !/[\p{Ll}\p{Lt}]/u.test(s);
  },
};
TESTS['=='] = TESTS.eq;
TESTS.equalto = TESTS.eq;
TESTS['!='] = TESTS.ne;
TESTS['>'] = TESTS.gt;
TESTS.greaterthan = TESTS.gt;
TESTS['>='] = TESTS.ge;
TESTS['<'] = TESTS.lt;
TESTS.lessthan = TESTS.lt;
TESTS['<='] = TESTS.le;

/** Runs the test `name` (jinja2 raises TemplateRuntimeError for an unknown one). */
export function runTest(name: string, value: unknown, args: unknown[]): boolean {
  const test = Object.prototype.hasOwnProperty.call(TESTS, name) ? TESTS[name] : undefined;
  if (test === undefined) return fail('TemplateRuntimeError', `No test named '${name}' found.`);
  return test(value, args);
}
