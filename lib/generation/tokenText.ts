/** The text of a token for logprob entries, cached per model. @internal */
import type { Model } from '../model';

const caches = new WeakMap<Model, Map<number, string>>();
const decoder = new TextDecoder('utf-8');

/** `token`'s text, special tokens rendered (`</s>`); U+FFFD for a part of a multi-byte character. */
export function tokenText(model: Model, token: number): string {
  let cache = caches.get(model);
  if (cache === undefined) caches.set(model, (cache = new Map()));
  let text = cache.get(token);
  if (text === undefined) {
    text = decoder.decode(model.tokenToPiece(token, { special: true }));
    cache.set(token, text);
  }
  return text;
}
