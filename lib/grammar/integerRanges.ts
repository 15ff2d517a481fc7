/**
 * Decimal grammars for integer ranges: the digit strings of the integers
 * between two bounds.
 */
import { alt, cls, lit, seq, type Expr } from './expr';

const DIGITS = (from: number, to: number): Expr => (from === to ? lit(String(from)) : cls([[0x30 + from, 0x30 + to]]));

/** Decimal strings of the integers in [a, b], both with the same number of digits. */
function sameLengthRange(a: string, b: string, rep: (item: Expr, min: number, max: number) => Expr): Expr {
  if (a === b) return lit(a);
  let i = 0;
  while (a[i] === b[i]) i++;
  const prefix = lit(a.slice(0, i));
  const d1 = Number(a[i]);
  const d2 = Number(b[i]);
  const restA = a.slice(i + 1);
  const restB = b.slice(i + 1);
  const n = restA.length;
  if (n === 0) return seq(prefix, DIGITS(d1, d2));
  const anyDigits = rep(cls([[0x30, 0x39]]), n, n);
  const parts: Expr[] = [];
  let low = d1;
  if (!/^0*$/.test(restA)) {
    parts.push(seq(DIGITS(d1, d1), sameLengthRange(restA, '9'.repeat(n), rep)));
    low = d1 + 1;
  }
  let high = d2;
  const lastPart: Expr[] = [];
  if (!/^9*$/.test(restB)) {
    lastPart.push(seq(DIGITS(d2, d2), sameLengthRange('0'.repeat(n), restB, rep)));
    high = d2 - 1;
  }
  if (low <= high) parts.push(seq(DIGITS(low, high), anyDigits));
  parts.push(...lastPart);
  return seq(prefix, alt(...parts));
}

/** Decimal strings (no leading zeros) of the integers in [lo, hi]; null if empty. */
export function nonNegativeRange(lo: bigint, hi: bigint, rep: (item: Expr, min: number, max: number) => Expr): Expr | null {
  if (lo < 0n) lo = 0n;
  if (lo > hi) return null;
  const parts: Expr[] = [];
  const loLen = lo.toString().length;
  const hiLen = hi.toString().length;
  let fullFrom: number | null = null; // start of a run of lengths whose every number is in range
  let withZero = false;
  const flushFull = (until: number): void => {
    if (fullFrom === null) return;
    if (withZero) parts.push(lit('0'));
    parts.push(seq(cls([[0x31, 0x39]]), rep(cls([[0x30, 0x39]]), fullFrom - 1, until - 1)));
    fullFrom = null;
  };
  for (let len = loLen; len <= hiLen; len++) {
    const first = len === 1 ? 0n : 10n ** BigInt(len - 1);
    const last = 10n ** BigInt(len) - 1n;
    const a = lo > first ? lo : first;
    const b = hi < last ? hi : last;
    if ((a === first || (len === 1 && a === 1n)) && b === last) {
      if (fullFrom === null) {
        fullFrom = len;
        withZero = len === 1 && a === 0n;
      }
      continue;
    }
    flushFull(len - 1);
    if (a <= b) parts.push(sameLengthRange(a.toString(), b.toString(), rep));
  }
  flushFull(hiLen);
  return parts.length === 0 ? null : alt(...parts);
}
