/**
 * The primitive rules: fixed GBNF for JSON values, strings, numbers and the
 * string formats, written out by hand (their names are reserved).
 */
import { encodeSet, normalizeSet, RAW_STRING_SET, SPACE_SET } from './charset';
import { cls, printExpr } from './expr';

/** A rule whose body is written out by hand (the fixed primitives). */
export interface RawRule {
  readonly raw: string;
  readonly nullable: boolean;
  readonly deps: readonly string[];
}

/** Digit caps that keep numbers bounded (as llama.cpp's json.gbnf does). */
export const MAX_INTEGER_DIGITS = 16;
export const MAX_FRACTION_DIGITS = 16;

/** An hour, 00 to 23. */
const HOUR = '([01] [0-9] | "2" [0-3])';
/** Fraction digits of a time (ajv-formats takes any number; 9 is nanoseconds). */
const FRACTION = '("." [0-9]{1,9})';
const two = (n: number): string => String(n).padStart(2, '0');

/**
 * Leap seconds, as ajv-formats checks them: `hh:59:60` where that is 23:59:60
 * UTC, for Z and every whole-hour offset (`+hh`, `+hhmm`, `+hh:mm` with mm 00).
 * ajv-formats also accepts offsets with minutes (e.g. `05:29:60+05:30`) and local
 * hours past 23 that the offset brings back to 23:59 UTC; those are not produced.
 */
const LEAP_SECOND = Array.from({ length: 24 }, (_, hour) => {
  const offset = hour === 23 ? '([zZ] | [-+] "00" (":"? "00")?)' : `("+${two(hour + 1)}" | "-${two(23 - hour)}") (":"? "00")?`;
  return `"${two(hour)}:59:60" ${FRACTION}? ${offset}`;
}).join(' | ');

/** The date-time separators ajv-formats accepts (`/t|\s/i`), each as JSON writes it. */
const DATE_TIME_SEPARATOR = printExpr(encodeSet(normalizeSet([...SPACE_SET, [0x54, 0x54], [0x74, 0x74]]))!, 1);

export const PRIMITIVES: Record<string, RawRule> = {
  space: { raw: '| " " | "\\n" [ \\t]{0,20}', nullable: true, deps: [] },
  // One JSON string character = one code point: `\u` escapes of surrogates are excluded, and the raw
  // characters are a positive class of Unicode scalar values, so that llama.cpp's grammar never accepts
  // a byte that starts no valid UTF-8 sequence (F5-FF) nor an encoded surrogate (ED A0-BF ..).
  char: {
    raw: `${printExpr(cls(RAW_STRING_SET), 1)} | "\\\\" (["\\\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))`,
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
  // RFC 3339 time as ajv-formats checks it: offset Z/z or ±HH[[:]MM] (HH ≤ 23), up to 9 fraction digits, and a
  // leap second (:60) where the time is 23:59:60 UTC at a whole-hour offset (see LEAP_SECOND).
  time: {
    raw: `${HOUR} ":" [0-5] [0-9] ":" [0-5] [0-9] ${FRACTION}? ([zZ] | [-+] ${HOUR} (":"? [0-5] [0-9])?) | leap-second`,
    nullable: false,
    deps: ['leap-second'],
  },
  'leap-second': { raw: LEAP_SECOND, nullable: false, deps: [] },
  // ajv-formats splits a date-time at `t`, `T` or any \s character (here as JSON escapes them).
  'date-time': { raw: `date ${DATE_TIME_SEPARATOR} time`, nullable: false, deps: ['date', 'time'] },
  // ajv-formats also accepts the urn:uuid: prefix, in any case.
  uuid: {
    raw: '([uU] [rR] [nN] ":" [uU] [uU] [iI] [dD] ":")? [0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}',
    nullable: false,
    deps: [],
  },
};
