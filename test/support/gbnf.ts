/**
 * A small GBNF toolkit for tests: a parser that follows llama.cpp's grammar
 * parser (src/llama-grammar.cpp) closely enough to reject what it rejects
 * (undefined rules, left recursion, repetition limits), a matcher that tells
 * whether a string is in the grammar's language, and a random generator.
 *
 * Everything works on Unicode code points, as llama.cpp does.
 */

/** A parsed GBNF expression. Literals are sequences of single-code-point `chars`. */
export type GbnfNode =
  | { t: 'chars'; ranges: [number, number][]; neg: boolean; any?: boolean }
  | { t: 'ref'; name: string }
  | { t: 'seq'; items: GbnfNode[] }
  | { t: 'alt'; items: GbnfNode[] }
  | { t: 'rep'; item: GbnfNode; min: number; max: number | null };

/** A parsed grammar: rule name → body. */
export interface Gbnf {
  rules: Map<string, GbnfNode>;
}

/** llama.cpp's MAX_REPETITION_THRESHOLD. */
const MAX_REPETITION = 2000;

class GbnfSyntaxError extends Error {}

/**
 * Parses GBNF text. Throws where llama.cpp's parser throws, and also where it
 * would silently change the meaning (a `{m,n}` with n > 2000 becomes `{m,}`).
 */
export function parseGbnf(text: string): Gbnf {
  const src = Array.from(text, (c) => c.codePointAt(0)!);
  let pos = 0;
  const rules = new Map<string, GbnfNode>();
  const referenced = new Set<string>();
  // llama.cpp's symbol table size, for its "rules × repetitions" limit.
  const symbols = new Set<string>();
  let generated = 0;
  const symbolCount = (): number => symbols.size + generated;

  const ch = (offset = 0): string => (pos + offset < src.length ? String.fromCodePoint(src[pos + offset]!) : '');
  const isWord = (c: string): boolean => /^[a-zA-Z0-9-]$/.test(c);
  const err = (message: string): never => {
    throw new GbnfSyntaxError(`${message} at ${JSON.stringify(String.fromCodePoint(...src.slice(pos, pos + 30)))}`);
  };
  const skipSpace = (newlineOk: boolean): void => {
    for (;;) {
      const c = ch();
      if (c === ' ' || c === '\t' || (newlineOk && (c === '\n' || c === '\r'))) pos++;
      else if (c === '#') while (pos < src.length && ch() !== '\n' && ch() !== '\r') pos++;
      else return;
    }
  };
  const parseName = (): string => {
    const start = pos;
    while (isWord(ch())) pos++;
    if (pos === start) err('expecting name');
    return String.fromCodePoint(...src.slice(start, pos));
  };
  const parseHex = (size: number): number => {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const c = ch();
      if (!/^[0-9a-fA-F]$/.test(c)) err(`expecting ${size} hex chars`);
      value = value * 16 + parseInt(c, 16);
      pos++;
    }
    return value;
  };
  const parseChar = (): number => {
    if (ch() === '\\') {
      const e = ch(1);
      pos += 2;
      switch (e) {
        case 'x':
          return parseHex(2);
        case 'u':
          return parseHex(4);
        case 'U':
          return parseHex(8);
        case 't':
          return 9;
        case 'r':
          return 13;
        case 'n':
          return 10;
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
          return e.codePointAt(0)!;
        default:
          return err('unknown escape');
      }
    }
    if (pos >= src.length) err('unexpected end of input');
    return src[pos++]!;
  };

  const parseSequence = (nested: boolean): GbnfNode => {
    const items: GbnfNode[] = [];
    let lastStart = -1; // index in items of the last symbol (literal: its first char)
    let lastEnd = -1;
    let nPrev = 1;
    const repeat = (min: number, max: number | null): void => {
      if (lastStart < 0 || lastEnd !== items.length) err('expecting preceding item to */+/?/{');
      const total = max !== null && max > 0 ? max : min > 0 ? min : 1;
      if (nPrev * total > MAX_REPETITION) err('number of rules that are going to be repeated multiplied by the new repetition exceeds sane defaults');
      generated += max === null ? 1 : max - min;
      const body = items.splice(lastStart);
      const item: GbnfNode = body.length === 1 ? body[0]! : { t: 'seq', items: body };
      items.push({ t: 'rep', item, min, max });
      lastEnd = items.length;
      nPrev *= total;
    };
    for (;;) {
      const c = ch();
      if (c === '"') {
        pos++;
        lastStart = items.length;
        nPrev = 1;
        while (ch() !== '"') {
          if (pos >= src.length) err('unexpected end of input');
          const cp = parseChar();
          items.push({ t: 'chars', ranges: [[cp, cp]], neg: false });
        }
        pos++;
        lastEnd = items.length;
        if (lastEnd === lastStart) lastStart = -1; // `""`: nothing to repeat... llama.cpp would repeat nothing
        skipSpace(nested);
      } else if (c === '[') {
        pos++;
        let neg = false;
        if (ch() === '^') {
          neg = true;
          pos++;
        }
        const ranges: [number, number][] = [];
        while (ch() !== ']') {
          if (pos >= src.length) err('unexpected end of input');
          const lo = parseChar();
          let hi = lo;
          if (ch() === '-' && ch(1) !== ']') {
            if (pos + 1 >= src.length) err('unexpected end of input');
            pos++;
            hi = parseChar();
          }
          ranges.push([lo, hi]);
        }
        pos++;
        lastStart = items.length;
        nPrev = 1;
        items.push({ t: 'chars', ranges, neg });
        lastEnd = items.length;
        skipSpace(nested);
      } else if (isWord(c)) {
        const name = parseName();
        symbols.add(name);
        referenced.add(name);
        skipSpace(nested);
        lastStart = items.length;
        nPrev = 1;
        items.push({ t: 'ref', name });
        lastEnd = items.length;
      } else if (c === '(') {
        pos++;
        skipSpace(true);
        const before = symbolCount();
        generated++;
        const inner = parseAlternates(true);
        nPrev = Math.max(1, symbolCount() - before);
        if (ch() !== ')') err("expecting ')'");
        pos++;
        skipSpace(nested);
        lastStart = items.length;
        items.push(inner);
        lastEnd = items.length;
      } else if (c === '.') {
        pos++;
        lastStart = items.length;
        nPrev = 1;
        items.push({ t: 'chars', ranges: [], neg: true, any: true });
        lastEnd = items.length;
        skipSpace(nested);
      } else if (c === '*' || c === '+' || c === '?') {
        pos++;
        skipSpace(nested);
        if (c === '*') repeat(0, null);
        else if (c === '+') repeat(1, null);
        else repeat(0, 1);
      } else if (c === '{') {
        pos++;
        skipSpace(nested);
        const num = (): number => {
          const start = pos;
          while (/^[0-9]$/.test(ch())) pos++;
          if (pos === start) err('expecting an int');
          return Number(String.fromCodePoint(...src.slice(start, pos)));
        };
        const min = num();
        skipSpace(nested);
        let max: number | null;
        if (ch() === '}') {
          max = min;
          pos++;
        } else if (ch() === ',') {
          pos++;
          skipSpace(nested);
          max = /^[0-9]$/.test(ch()) ? num() : null;
          skipSpace(nested);
          if (ch() !== '}') err("expecting '}'");
          pos++;
        } else return err("expecting ','");
        skipSpace(nested);
        if (min > MAX_REPETITION) err('number of repetitions exceeds sane defaults');
        if (max !== null && max > MAX_REPETITION) err(`{${min},${max}}: llama.cpp would treat the maximum as unbounded`);
        repeat(min, max);
      } else if (c === '<' || c === '!') {
        err('tokens are not supported by this test parser');
      } else break;
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  };

  const parseAlternates = (nested: boolean): GbnfNode => {
    const alts = [parseSequence(nested)];
    while (ch() === '|') {
      pos++;
      skipSpace(true);
      alts.push(parseSequence(nested));
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', items: alts };
  };

  skipSpace(true);
  while (pos < src.length) {
    const name = parseName();
    symbols.add(name);
    skipSpace(false);
    if (!(ch() === ':' && ch(1) === ':' && ch(2) === '=')) err('expecting ::=');
    pos += 3;
    skipSpace(true);
    const body = parseAlternates(false);
    if (ch() === '\r') pos += ch(1) === '\n' ? 2 : 1;
    else if (ch() === '\n') pos++;
    else if (pos < src.length) err('expecting newline or end');
    skipSpace(true);
    if (rules.has(name)) throw new GbnfSyntaxError(`rule ${name} defined twice`);
    rules.set(name, body);
  }
  for (const name of referenced) if (!rules.has(name)) throw new GbnfSyntaxError(`Undefined rule identifier '${name}'`);
  if (!rules.has('root')) throw new GbnfSyntaxError('no root rule');
  const grammar = { rules };
  checkLeftRecursion(grammar);
  return grammar;
}

function nullableOf(grammar: Gbnf): (n: GbnfNode) => boolean {
  const nullable = new Map<string, boolean>([...grammar.rules.keys()].map((k) => [k, false]));
  const f = (n: GbnfNode): boolean => {
    switch (n.t) {
      case 'chars':
        return false;
      case 'ref':
        return nullable.get(n.name)!;
      case 'seq':
        return n.items.every(f);
      case 'alt':
        return n.items.some(f);
      case 'rep':
        return n.min === 0 || f(n.item);
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, body] of grammar.rules) {
      const v = f(body);
      if (v !== nullable.get(name)) {
        nullable.set(name, v);
        changed = true;
      }
    }
  }
  return f;
}

/** llama.cpp rejects left-recursive grammars, including `S*` with a nullable S (its expansion `S' ::= S S' |`). */
function checkLeftRecursion(grammar: Gbnf): void {
  const nullable = nullableOf(grammar);
  const left = (n: GbnfNode, out: Set<string>): void => {
    switch (n.t) {
      case 'ref':
        out.add(n.name);
        break;
      case 'seq':
        for (const item of n.items) {
          left(item, out);
          if (!nullable(item)) break;
        }
        break;
      case 'alt':
        for (const item of n.items) left(item, out);
        break;
      case 'rep':
        if (n.max === null && nullable(n.item)) throw new GbnfSyntaxError('left recursion: unbounded repetition of a nullable item');
        left(n.item, out);
        break;
      default:
        break;
    }
  };
  const edges = new Map(
    [...grammar.rules].map(([name, body]) => {
      const out = new Set<string>();
      left(body, out);
      return [name, out] as const;
    }),
  );
  const state = new Map<string, number>();
  const dfs = (name: string): void => {
    if (state.get(name) === 2) return;
    if (state.get(name) === 1) throw new GbnfSyntaxError(`left recursion through ${name}`);
    state.set(name, 1);
    for (const next of edges.get(name)!) dfs(next);
    state.set(name, 2);
  };
  for (const name of grammar.rules.keys()) dfs(name);
}

function charMatches(n: GbnfNode & { t: 'chars' }, cp: number): boolean {
  if (n.any) return true;
  const inRanges = n.ranges.some(([lo, hi]) => lo <= cp && cp <= hi);
  return n.neg ? !inRanges : inRanges;
}

/** Whether the whole of `input` matches rule `start` (default `root`). */
export function matches(grammar: Gbnf, input: string, start = 'root'): boolean {
  const cps = Array.from(input, (c) => c.codePointAt(0)!);
  const memo = new Map<string, Set<number> | 'busy'>();
  const ends = (n: GbnfNode, pos: number): Set<number> => {
    switch (n.t) {
      case 'chars':
        return pos < cps.length && charMatches(n, cps[pos]!) ? new Set([pos + 1]) : new Set();
      case 'ref': {
        const key = `${n.name}@${pos}`;
        const cached = memo.get(key);
        if (cached === 'busy') throw new Error(`left recursion at ${key}`);
        if (cached) return cached;
        memo.set(key, 'busy');
        const result = ends(grammar.rules.get(n.name)!, pos);
        memo.set(key, result);
        return result;
      }
      case 'seq': {
        let current = new Set([pos]);
        for (const item of n.items) {
          const next = new Set<number>();
          for (const p of current) for (const e of ends(item, p)) next.add(e);
          current = next;
          if (current.size === 0) break;
        }
        return current;
      }
      case 'alt': {
        const out = new Set<number>();
        for (const item of n.items) for (const e of ends(item, pos)) out.add(e);
        return out;
      }
      case 'rep': {
        const out = new Set<number>();
        if (n.min === 0) out.add(pos);
        let frontier = new Set([pos]);
        for (let count = 1; frontier.size > 0 && (n.max === null || count <= n.max); count++) {
          const next = new Set<number>();
          for (const p of frontier) for (const e of ends(n.item, p)) next.add(e);
          if (count >= n.min) {
            // Reaching a position with fewer repetitions leaves more room: later arrivals add nothing.
            for (const e of [...next]) {
              if (out.has(e) && count > n.min) next.delete(e);
              out.add(e);
            }
          }
          frontier = next;
        }
        return out;
      }
    }
  };
  return ends({ t: 'ref', name: start }, 0).has(cps.length);
}

/** Code points the generator likes to try: ASCII, controls, JSON specials, non-ASCII, astral, line separators. */
const INTERESTING = [
  ...Array.from({ length: 95 }, (_, i) => 0x20 + i),
  0x00,
  0x01,
  0x08,
  0x09,
  0x0a,
  0x0b,
  0x0c,
  0x0d,
  0x1f,
  0x7f,
  0x80,
  0xa0,
  0xe9,
  0xdf,
  0x3a9,
  0x4e2d,
  0x2028,
  0x2029,
  0xfeff,
  0x1f600,
  0x10ffff,
];

/**
 * Generates a random string of the grammar's language. Past `maxDepth` nested
 * rule references, or `maxLength` code points, it takes the shortest way out,
 * so recursive grammars end.
 */
export function generate(grammar: Gbnf, random: () => number, options: { start?: string; maxDepth?: number; maxLength?: number } = {}): string {
  const maxDepth = options.maxDepth ?? 12;
  const maxLength = options.maxLength ?? 4000;
  // Shortest derivation length of every rule (fixpoint).
  const minLen = new Map<string, number>([...grammar.rules.keys()].map((k) => [k, Infinity]));
  const len = (n: GbnfNode): number => {
    switch (n.t) {
      case 'chars':
        return 1;
      case 'ref':
        return minLen.get(n.name)!;
      case 'seq':
        return n.items.reduce((s, i) => s + len(i), 0);
      case 'alt':
        return Math.min(...n.items.map(len));
      case 'rep':
        return n.min === 0 ? 0 : n.min * len(n.item);
    }
  };
  for (let changed = true; changed;) {
    changed = false;
    for (const [name, body] of grammar.rules) {
      const v = len(body);
      if (v < minLen.get(name)!) {
        minLen.set(name, v);
        changed = true;
      }
    }
  }
  const out: number[] = [];
  const pickChar = (n: GbnfNode & { t: 'chars' }): number => {
    const ok = (cp: number): boolean => !(cp >= 0xd800 && cp <= 0xdfff) && charMatches(n, cp);
    if (random() < 0.75) {
      const pool = INTERESTING.filter(ok);
      if (pool.length > 0) return pool[Math.floor(random() * pool.length)]!;
    }
    if (!n.neg && !n.any) {
      const ranges = n.ranges.filter(([lo, hi]) => [...Array(Math.min(hi - lo + 1, 64)).keys()].some((i) => ok(lo + i)) || ok(hi));
      for (let tries = 0; tries < 100; tries++) {
        const [lo, hi] = ranges[Math.floor(random() * ranges.length)]!;
        const cp = lo + Math.floor(random() * (hi - lo + 1));
        if (ok(cp)) return cp;
      }
    } else {
      for (let tries = 0; tries < 1000; tries++) {
        const cp = random() < 0.5 ? Math.floor(random() * 0x800) : Math.floor(random() * 0x110000);
        if (ok(cp)) return cp;
      }
    }
    throw new Error(`cannot pick a character for ${JSON.stringify(n)}`);
  };
  const gen = (n: GbnfNode, depth: number): void => {
    const shortest = depth > maxDepth || out.length > maxLength;
    switch (n.t) {
      case 'chars':
        out.push(pickChar(n));
        return;
      case 'ref':
        gen(grammar.rules.get(n.name)!, depth + 1);
        return;
      case 'seq':
        for (const item of n.items) gen(item, depth);
        return;
      case 'alt': {
        const finite = n.items.filter((i) => len(i) < Infinity);
        let choice: GbnfNode;
        if (shortest) {
          const best = Math.min(...finite.map(len));
          choice = finite.find((i) => len(i) === best)!;
        } else choice = finite[Math.floor(random() * finite.length)]!;
        gen(choice, depth);
        return;
      }
      case 'rep': {
        let count = n.min;
        if (!shortest && len(n.item) < Infinity) {
          const room = (n.max ?? n.min + 8) - n.min;
          const r = random();
          // Mostly small counts, sometimes the maximum (bounds are where bugs live).
          count += r < 0.1 ? room : r < 0.2 ? 0 : Math.floor(random() * Math.min(room, 6) + 0.5);
          count = Math.min(count, n.min + room);
        }
        for (let i = 0; i < count; i++) gen(n.item, depth);
        return;
      }
    }
  };
  gen({ t: 'ref', name: options.start ?? 'root' }, 0);
  return String.fromCodePoint(...out);
}
