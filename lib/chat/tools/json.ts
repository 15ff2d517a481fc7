/** Reading JSON values embedded in generated text. @internal */
import { isPlainObject } from '../../config/checks';

/**
 * The end (exclusive) of the JSON object or array that starts at `start`
 * (after optional whitespace), by bracket matching outside strings; -1 when
 * it does not start there or is not closed. The text found still has to
 * pass `JSON.parse`.
 */
export function jsonEnd(text: string, start: number): number {
  let i = start;
  while (i < text.length && /\s/.test(text[i])) i++;
  if (text[i] !== '{' && text[i] !== '[') return -1;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** `JSON.parse(text)`, or `undefined` when it does not parse. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The JSON object at `start` (after whitespace) and where it ends, or
 * undefined when none parses there.
 */
export function objectAt(text: string, start: number): { value: Record<string, unknown>; end: number } | undefined {
  const end = jsonEnd(text, start);
  if (end < 0) return undefined;
  const value = tryJson(text.slice(start, end));
  return isPlainObject(value) ? { value, end } : undefined;
}
