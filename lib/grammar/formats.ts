/**
 * The string formats the converter supports (as ajv-formats checks them) and
 * the numeric ones it accepts; their grammars are primitive rules.
 */
import { unsupported } from './fail';

export const STRING_FORMATS = ['date', 'time', 'date-time', 'uuid'] as const;
/** ajv-formats' numeric formats: int32 and int64 are integers, int32 within ±2^31; float and double constrain nothing. */
export const NUMBER_FORMATS: readonly string[] = ['int32', 'int64', 'float', 'double'];
export type StringFormat = (typeof STRING_FORMATS)[number];

/** JS checks mirroring the format rules of primitives.ts (used to filter `enum` values). */
const FORMAT_CHECKS: Record<StringFormat, (s: string) => boolean> = {
  date: isDate,
  time: (s) => /^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?(Z|[-+]([01][0-9]|2[0-3]):[0-5][0-9])$/.test(s),
  'date-time': (s) => {
    const t = s.indexOf('T');
    return t === 10 && isDate(s.slice(0, t)) && FORMAT_CHECKS.time(s.slice(t + 1));
  },
  uuid: (s) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s),
};

function isDate(s: string): boolean {
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(s);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]!;
}

/** The JS check of a supported string format; throws for any other format. */
export function formatCheck(format: unknown): (s: string) => boolean {
  if (typeof format !== 'string' || !(STRING_FORMATS as readonly string[]).includes(format)) {
    unsupported(`format ${JSON.stringify(format)} is`);
  }
  return FORMAT_CHECKS[format as StringFormat];
}
