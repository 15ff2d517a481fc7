/**
 * The string formats the converter supports (as ajv-formats checks them) and
 * the numeric ones it accepts; their grammars are primitive rules.
 */
import { unsupported } from './fail';

export const STRING_FORMATS = ['date', 'time', 'date-time', 'uuid'] as const;
/** ajv-formats' numeric formats: int32 and int64 are integers, int32 within ±2^31; float and double constrain nothing. */
export const NUMBER_FORMATS: readonly string[] = ['int32', 'int64', 'float', 'double'];
export type StringFormat = (typeof STRING_FORMATS)[number];

/**
 * The checks of ajv-formats (full mode) for the string formats, used to filter
 * `enum`/`const` values (which are written out as they are, so any value ajv
 * accepts may stay). The grammars of primitives.ts accept a documented subset.
 */
const FORMAT_CHECKS: Record<StringFormat, (s: string) => boolean> = {
  date: isDate,
  time: isTime,
  'date-time': (s) => {
    const parts = s.split(/t|\s/i);
    return parts.length === 2 && isDate(parts[0]!) && isTime(parts[1]!);
  },
  uuid: (s) => /^(?:urn:uuid:)?[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(s),
};

/** ajv-formats' `time` (a time zone required), leap seconds included. */
function isTime(s: string): boolean {
  const m = /^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$/i.exec(s);
  if (!m || m[4] === undefined) return false;
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const sign = m[5] === '-' ? -1 : 1;
  const [zoneHour, zoneMinute] = [Number(m[6] ?? 0), Number(m[7] ?? 0)];
  if (zoneHour > 23 || zoneMinute > 59) return false;
  if (hour <= 23 && minute <= 59 && second < 60) return true;
  // a leap second: 23:59 UTC
  const utcMinute = minute - zoneMinute * sign;
  const utcHour = hour - zoneHour * sign - (utcMinute < 0 ? 1 : 0);
  return (utcHour === 23 || utcHour === -1) && (utcMinute === 59 || utcMinute === -1) && second < 61;
}

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
