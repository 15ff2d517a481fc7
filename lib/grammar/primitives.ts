/**
 * The primitive rules: fixed GBNF for JSON values, strings, numbers and the
 * string formats, written out by hand (their names are reserved).
 */

/** A rule whose body is written out by hand (the fixed primitives). */
export interface RawRule {
  readonly raw: string;
  readonly nullable: boolean;
  readonly deps: readonly string[];
}

/** Digit caps that keep numbers bounded (as llama.cpp's json.gbnf does). */
export const MAX_INTEGER_DIGITS = 16;
export const MAX_FRACTION_DIGITS = 16;

export const PRIMITIVES: Record<string, RawRule> = {
  space: { raw: '| " " | "\\n" [ \\t]{0,20}', nullable: true, deps: [] },
  // One JSON string character = one code point: `\u` escapes of surrogates are excluded.
  char: {
    raw: '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" (["\\\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))',
    nullable: false,
    deps: [],
  },
  string: { raw: '"\\"" char* "\\""', nullable: false, deps: ['char'] },
  'integral-part': { raw: `"0" | [1-9] [0-9]{0,${MAX_INTEGER_DIGITS - 1}}`, nullable: false, deps: [] },
  integer: { raw: '"-"? integral-part', nullable: false, deps: ['integral-part'] },
  number: {
    raw: `"-"? integral-part ("." [0-9]{1,${MAX_FRACTION_DIGITS}})? ([eE] [-+]? [0-9]{1,2})?`,
    nullable: false,
    deps: ['integral-part'],
  },
  boolean: { raw: '"true" | "false"', nullable: false, deps: [] },
  null: { raw: '"null"', nullable: false, deps: [] },
  value: { raw: 'object | array | string | number | boolean | null', nullable: false, deps: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
  object: {
    raw: '"{" space (string space ":" space value ("," space string space ":" space value)* space)? "}"',
    nullable: false,
    deps: ['space', 'string', 'value'],
  },
  array: { raw: '"[" space (value ("," space value)* space)? "]"', nullable: false, deps: ['space', 'value'] },
  // RFC 3339 full-date with the days of each month, leap years included (as ajv-formats checks).
  'leap-year': {
    raw: '[0-9] [0-9] ("0" [48] | [2468] [048] | [13579] [26]) | ([02468] [048] | [13579] [26]) "00"',
    nullable: false,
    deps: [],
  },
  'day-28': { raw: '"0" [1-9] | "1" [0-9] | "2" [0-8]', nullable: false, deps: [] },
  date: {
    raw:
      '[0-9]{4} "-" (("0" [13578] | "1" [02]) "-" (day-28 | "29" | "3" [01]) | ("0" [469] | "11") "-" (day-28 | "29" | "30") | "02-" day-28)' +
      ' | leap-year "-02-29"',
    nullable: false,
    deps: ['day-28', 'leap-year'],
  },
  time: {
    raw: '([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,9})? ("Z" | [-+] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])',
    nullable: false,
    deps: [],
  },
  'date-time': { raw: 'date "T" time', nullable: false, deps: ['date', 'time'] },
  uuid: {
    raw: '[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}',
    nullable: false,
    deps: [],
  },
};
