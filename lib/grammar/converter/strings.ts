/**
 * Strings: lengths, formats and `pattern`s, the latter as the JSON-encoded
 * forms of the strings the regex matches.
 */
import { encodeSet } from '../charset';
import { altOf, EPSILON, lit, seq, seqOf, type Expr } from '../expr';
import { fail, Unsatisfiable, unsupported } from '../fail';
import { formatCheck, NUMBER_FORMATS, type StringFormat } from '../formats';
import { RegexParser, type Regex } from '../regex';
import type { RuleSet } from '../rules';
import type { SchemaObject } from '../schema';
import type { Converter } from './converter';

/** The grammar for the strings `schema` accepts; `name` names the rules it creates. */
export function visitString(c: Converter, schema: SchemaObject, name: string): Expr {
  const quote = lit('"');
  const { pattern } = schema;
  // Numeric formats (int32, …) do not apply to strings.
  const format = NUMBER_FORMATS.includes(schema.format as string) ? undefined : schema.format;
  const minLength = (schema.minLength as number | undefined) ?? 0;
  const maxLength = (schema.maxLength as number | undefined) ?? null;
  const hasLength = schema.minLength !== undefined || schema.maxLength !== undefined;
  if (maxLength !== null && maxLength < minLength) throw new Unsatisfiable();
  if (pattern !== undefined) {
    if (typeof pattern !== 'string') fail('pattern must be a string');
    if (format !== undefined) unsupported('pattern combined with format is');
    if (hasLength) unsupported('pattern combined with minLength/maxLength is');
    return visitPattern(c, pattern, name);
  }
  if (format !== undefined) {
    formatCheck(format);
    if (hasLength) unsupported('format combined with minLength/maxLength is');
    return seq(quote, c.primitive(format as StringFormat), quote);
  }
  if (!hasLength || (minLength === 0 && maxLength === null)) return c.primitive('string');
  return seq(quote, c.rep(c.primitive('char'), minLength, maxLength, `${name}-chars`), quote);
}

/** The JSON strings (quotes included) that `pattern` matches; an unanchored branch matches anywhere in the string. */
function visitPattern(c: Converter, pattern: string, name: string): Expr {
  const regex = new RegexParser(pattern, c.dotall).parse();
  const branches = regex.k === 'alt' ? regex.items : [regex];
  const anyString = c.rep(c.primitive('char'), 0, null, 'chars');
  const options: Expr[] = [];
  for (const branch of branches) {
    const items = branch.k === 'seq' ? [...branch.items] : [branch];
    let anchoredStart = false;
    let anchoredEnd = false;
    while (items[0]?.k === 'bol') {
      items.shift();
      anchoredStart = true;
    }
    while (items[items.length - 1]?.k === 'eol') {
      items.pop();
      anchoredEnd = true;
    }
    const body = regexToGrammar(c, { k: 'seq', items }, `${name}-pattern`, pattern);
    if (body === null) continue;
    const isEmpty = body.k === 'seq' && body.items.length === 0;
    if (!anchoredStart && !anchoredEnd && isEmpty) options.push(anyString);
    else options.push(seq(anchoredStart ? EPSILON : anyString, body, anchoredEnd ? EPSILON : anyString));
  }
  if (options.length === 0) throw new Unsatisfiable();
  return c.named(name, seq(lit('"'), altOf(options), lit('"')));
}

/** The JSON-encoded form of the strings `regex` matches; null if none. */
function regexToGrammar(c: RuleSet, regex: Regex, hint: string, pattern: string): Expr | null {
  switch (regex.k) {
    case 'bol':
    case 'eol':
      return unsupported(`pattern ${JSON.stringify(pattern)}: anchors (^ $) other than at the start and end are`);
    case 'set':
      return encodeSet(regex.set);
    case 'seq': {
      const parts: Expr[] = [];
      for (const item of regex.items) {
        const part = regexToGrammar(c, item, hint, pattern);
        if (part === null) return null;
        parts.push(part);
      }
      return seqOf(parts);
    }
    case 'alt': {
      const parts = regex.items.map((item) => regexToGrammar(c, item, hint, pattern)).filter((p): p is Expr => p !== null);
      return parts.length === 0 ? null : altOf(parts);
    }
    case 'rep': {
      const item = regexToGrammar(c, regex.item, hint, pattern);
      if (item === null) return regex.min === 0 ? EPSILON : null;
      if (c.nullable(item) && regex.max === null) {
        unsupported(`pattern ${JSON.stringify(pattern)}: unbounded repetition of something that can match the empty string is`);
      }
      return c.rep(item, regex.min, regex.max, hint);
    }
  }
}
