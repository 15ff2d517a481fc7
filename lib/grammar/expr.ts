/**
 * GBNF expressions: the {@link Expr} tree the converter builds, its
 * constructors (which flatten and merge as they go) and its printing.
 */

/** A GBNF expression; `lit` and `cls` work on Unicode code points. */
export type Expr =
  | { readonly k: 'lit'; readonly cps: readonly number[] }
  | { readonly k: 'cls'; readonly ranges: readonly Range[]; readonly neg: boolean }
  | { readonly k: 'ref'; readonly name: string }
  | { readonly k: 'seq'; readonly items: readonly Expr[] }
  | { readonly k: 'alt'; readonly items: readonly Expr[] }
  | { readonly k: 'rep'; readonly item: Expr; readonly min: number; readonly max: number | null };

/** An inclusive code point interval. */
export type Range = readonly [number, number];

/** The empty sequence. */
export const EPSILON: Expr = { k: 'seq', items: [] };

/** The code points of `text`. */
export function cpsOf(text: string): number[] {
  return Array.from(text, (ch) => ch.codePointAt(0)!);
}

export function lit(text: string): Expr {
  return { k: 'lit', cps: cpsOf(text) };
}

export function cls(ranges: readonly Range[], neg = false): Expr {
  return { k: 'cls', ranges, neg };
}

export function ref(name: string): Expr {
  return { k: 'ref', name };
}

/** A sequence, flattening nested sequences and merging adjacent literals. */
export function seq(...parts: Expr[]): Expr {
  return seqOf(parts);
}

/**
 * {@link seq} over an array (a pattern of 100,000 characters is 100,000
 * parts: too many for a spread call). Adjacent literals merge into one array
 * this call owns and extends, so a long literal run costs linear time (it was
 * copied at every character: 100 s for 100,000 characters).
 */
export function seqOf(parts: readonly Expr[]): Expr {
  const items: Expr[] = [];
  let merged: number[] | null = null; // the code points of the last item when this call made that literal
  const push = (e: Expr): void => {
    if (e.k === 'seq') {
      for (const item of e.items) push(item);
      return;
    }
    if (e.k === 'lit') {
      if (e.cps.length === 0) return;
      const last = items[items.length - 1];
      if (last !== undefined && last.k === 'lit') {
        if (merged === null) {
          merged = [...last.cps];
          items[items.length - 1] = { k: 'lit', cps: merged };
        }
        for (const cp of e.cps) merged.push(cp);
        return;
      }
    }
    items.push(e);
    merged = null;
  };
  for (const part of parts) push(part);
  return items.length === 1 ? items[0]! : { k: 'seq', items };
}

/** Alternatives, flattening nested alternatives and dropping duplicates. */
export function alt(...parts: Expr[]): Expr {
  return altOf(parts);
}

/** {@link alt} over an array (a pattern's 100,000 alternatives are too many for a spread call). */
export function altOf(parts: readonly Expr[]): Expr {
  const items: Expr[] = [];
  const seen = new Set<string>();
  const push = (e: Expr): void => {
    if (e.k === 'alt') {
      for (const item of e.items) push(item);
      return;
    }
    const key = printExpr(e, 0);
    if (seen.has(key)) return;
    seen.add(key);
    items.push(e);
  };
  for (const part of parts) push(part);
  if (items.length === 0) throw new Error('alt() of nothing');
  return items.length === 1 ? items[0]! : { k: 'alt', items };
}

// ---------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------

function hex(cp: number, width: number): string {
  return cp.toString(16).toUpperCase().padStart(width, '0');
}

function escapeCodePoint(cp: number): string {
  if (cp === 0x0a) return '\\n';
  if (cp === 0x0d) return '\\r';
  if (cp === 0x09) return '\\t';
  if (cp < 0x100) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

function printLiteralChar(cp: number): string {
  if (cp === 0x22) return '\\"';
  if (cp === 0x5c) return '\\\\';
  if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
  return escapeCodePoint(cp);
}

function printClassChar(cp: number): string {
  switch (cp) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x5b:
      return '\\[';
    case 0x5d:
      return '\\]';
    case 0x2d:
      return '\\-';
    case 0x5e:
      return '\\x5E'; // `^` cannot be backslash-escaped in GBNF
    default:
      if (cp >= 0x20 && cp < 0x7f) return String.fromCodePoint(cp);
      return escapeCodePoint(cp);
  }
}

/** Prints `e` at precedence `prec`: 0 = alternatives, 1 = sequence item, 2 = repeated item. */
export function printExpr(e: Expr, prec: number): string {
  switch (e.k) {
    case 'lit': {
      const text = `"${e.cps.map(printLiteralChar).join('')}"`;
      return prec >= 2 && e.cps.length > 1 ? `(${text})` : text;
    }
    case 'cls':
      return `[${e.neg ? '^' : ''}${e.ranges.map(([lo, hi]) => (lo === hi ? printClassChar(lo) : `${printClassChar(lo)}-${printClassChar(hi)}`)).join('')}]`;
    case 'ref':
      return e.name;
    case 'seq': {
      if (e.items.length === 0) return prec >= 1 ? '("")' : '""';
      const text = e.items.map((item) => printExpr(item, 1)).join(' ');
      return prec >= 2 ? `(${text})` : text;
    }
    case 'alt': {
      const hasEmpty = e.items.some((item) => item.k === 'seq' && item.items.length === 0);
      if (hasEmpty) {
        const rest = e.items.filter((item) => !(item.k === 'seq' && item.items.length === 0));
        const inner = rest.length === 1 ? rest[0]! : { k: 'alt' as const, items: rest };
        const text = `${printExpr(inner, 2)}?`;
        return prec >= 2 ? `(${text})` : text;
      }
      const text = e.items.map((item) => printExpr(item, 0)).join(' | ');
      return prec >= 1 ? `(${text})` : text;
    }
    case 'rep': {
      const item = printExpr(e.item, 2);
      const { min, max } = e;
      if (min === 0 && max === 1) return `${item}?`;
      if (min === 0 && max === null) return `${item}*`;
      if (min === 1 && max === null) return `${item}+`;
      if (max === null) return `${item}{${min},}`;
      if (min === max) return `${item}{${min}}`;
      return `${item}{${min},${max}}`;
    }
  }
}
