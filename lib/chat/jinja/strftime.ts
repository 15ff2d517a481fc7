/**
 * Python's `datetime.strftime` as it runs on Linux (glibc, C locale), for
 * the `strftime_now` global transformers gives templates. The datetime is
 * naive (local time, no zone): `%z` and `%Z` are empty. @internal
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function dayOfYear(d: Date): number {
  const start = Date.UTC(d.getFullYear(), 0, 1);
  const now = Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  return Math.round((now - start) / 86400000) + 1;
}

/** ISO 8601 week-based year and week number. */
function isoWeek(d: Date): [number, number] {
  const t = new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const yearStart = Date.UTC(t.getUTCFullYear(), 0, 1);
  return [t.getUTCFullYear(), Math.ceil(((t.getTime() - yearStart) / 86400000 + 1) / 7)];
}

/** One conversion: [digits or text, default padding width, default pad char]. */
function field(d: Date, c: string): [string, number, string] | null {
  const h = d.getHours();
  const wday = d.getDay();
  const yday = dayOfYear(d);
  switch (c) {
    case 'a':
      return [DAYS[wday].slice(0, 3), 0, ''];
    case 'A':
      return [DAYS[wday], 0, ''];
    case 'b':
    case 'h':
      return [MONTHS[d.getMonth()].slice(0, 3), 0, ''];
    case 'B':
      return [MONTHS[d.getMonth()], 0, ''];
    case 'c':
      return [strftime(d, '%a %b %e %H:%M:%S %Y'), 0, ''];
    case 'C':
      return [String(Math.floor(d.getFullYear() / 100)), 2, '0'];
    case 'd':
      return [String(d.getDate()), 2, '0'];
    case 'D':
    case 'x':
      return [strftime(d, '%m/%d/%y'), 0, ''];
    case 'e':
      return [String(d.getDate()), 2, ' '];
    case 'f':
      return [String(d.getMilliseconds() * 1000), 6, '0'];
    case 'F':
      return [strftime(d, '%Y-%m-%d'), 0, ''];
    case 'G':
      return [String(isoWeek(d)[0]), 0, ''];
    case 'g':
      return [String(isoWeek(d)[0] % 100), 2, '0'];
    case 'H':
      return [String(h), 2, '0'];
    case 'I':
      return [String(h % 12 || 12), 2, '0'];
    case 'j':
      return [String(yday), 3, '0'];
    case 'k':
      return [String(h), 2, ' '];
    case 'l':
      return [String(h % 12 || 12), 2, ' '];
    case 'm':
      return [String(d.getMonth() + 1), 2, '0'];
    case 'M':
      return [String(d.getMinutes()), 2, '0'];
    case 'n':
      return ['\n', 0, ''];
    case 'p':
      return [h < 12 ? 'AM' : 'PM', 0, ''];
    case 'P':
      return [h < 12 ? 'am' : 'pm', 0, ''];
    case 'r':
      return [strftime(d, '%I:%M:%S %p'), 0, ''];
    case 'R':
      return [strftime(d, '%H:%M'), 0, ''];
    case 's':
      return [String(Math.floor(d.getTime() / 1000)), 0, ''];
    case 'S':
      return [String(d.getSeconds()), 2, '0'];
    case 't':
      return ['\t', 0, ''];
    case 'T':
    case 'X':
      return [strftime(d, '%H:%M:%S'), 0, ''];
    case 'u':
      return [String(wday || 7), 0, ''];
    case 'U':
      return [String(Math.floor((yday + 6 - wday) / 7)), 2, '0'];
    case 'V':
      return [String(isoWeek(d)[1]), 2, '0'];
    case 'w':
      return [String(wday), 0, ''];
    case 'W':
      return [String(Math.floor((yday + 6 - ((wday + 6) % 7)) / 7)), 2, '0'];
    case 'y':
      return [String(d.getFullYear() % 100), 2, '0'];
    case 'Y':
      return [String(d.getFullYear()), 0, ''];
    case 'z':
    case 'Z':
      return ['', 0, ''];
    case '%':
      return ['%', 0, ''];
  }
  return null;
}

/** Formats `date` (its local fields) with a strftime format. */
export function strftime(date: Date, format: string): string {
  return format.replace(/%([-_0^#]*)(\d*)([a-zA-Z%])/g, (whole, flags: string, width: string, c: string) => {
    const f = field(date, c);
    if (f === null) return whole;
    let [value, pad, padChar] = f;
    if (flags.includes('-')) pad = 0;
    else if (flags.includes('_')) padChar = ' ';
    else if (flags.includes('0')) padChar = '0';
    if (width !== '') pad = Number(width);
    if (pad > 0 && value.length < pad) value = (padChar || ' ').repeat(pad - value.length) + value;
    if (flags.includes('^')) value = value.toUpperCase();
    else if (flags.includes('#')) value = value === value.toUpperCase() ? value.toLowerCase() : value.toUpperCase();
    return value;
  });
}
