/** Token id sequences as the API accepts them. */
import { invalidArgument } from './errors';

/** Token ids: an Int32Array (no copy) or any array-like of integers. */
export type Tokens = Int32Array | ArrayLike<number>;

/** @internal normalises {@link Tokens} for the native layer (which range-checks ids). */
export function toTokenArray(tokens: Tokens): Int32Array | number[] {
  if (tokens instanceof Int32Array) return tokens;
  if (Array.isArray(tokens)) return tokens;
  if (tokens !== null && typeof tokens === 'object' && typeof (tokens as ArrayLike<number>).length === 'number') {
    return Array.from(tokens as ArrayLike<number>);
  }
  throw invalidArgument('tokens must be an Int32Array or an array of token ids');
}
