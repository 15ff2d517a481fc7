/**
 * jinja2's filters over sequences and mappings (`map`, `select`, `sort`,
 * `dictsort`, `groupby`, `join`, ...). Those that are generators in jinja2
 * return a lazy {@link PyIterator}: their errors surface when consumed, and
 * `tojson` refuses them, as in Python. @internal
 */
import { getItem } from './attributes';
import { fail, typeError } from './errors';
import type { Filter, FilterContext } from './filters';
import { binaryOp, checkHashable, pyCompare, pyContains } from './operators';
import { pyRepr, pyStr } from './repr';
import { arg } from './strings';
import { PyIterator, Tuple, Undefined, isStr, iterate, text, truthy, typeName, type Kwargs } from './values';

/** jinja2's `make_attrgetter`: dotted paths, integer parts as indices. */
function attrGetter(attribute: unknown, postprocess?: (v: unknown) => unknown, fallback?: unknown): (item: unknown) => unknown {
  const parts = attribute === null || attribute === undefined ? [] : isStr(attribute) ? text(attribute).split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p)) : [attribute];
  return (item) => {
    let v = item;
    for (const part of parts) {
      v = getItem(v, part);
      if (fallback !== undefined && fallback !== null && v instanceof Undefined) v = fallback;
    }
    return postprocess ? postprocess(v) : v;
  };
}

function ignoreCase(v: unknown): unknown {
  return isStr(v) ? text(v).toLowerCase() : v;
}

function sortKeyed(items: unknown[], key: (v: unknown) => unknown, reverse: boolean): unknown[] {
  const keyed = items.map((item, i) => ({ item, key: key(item), i }));
  keyed.sort((a, b) => {
    const c = pyCompare(a.key, b.key);
    return c !== 0 ? (reverse ? -c : c) : a.i - b.i;
  });
  return keyed.map((k) => k.item);
}

function minMax(value: unknown, args: unknown[], kwargs: Kwargs, sign: 1 | -1): unknown {
  const items = iterate(value);
  if (items.length === 0) return new Undefined('No aggregated item, sequence was empty.');
  const caseSensitive = truthy(arg(args, kwargs, 0, 'case_sensitive', false));
  const key = attrGetter(arg(args, kwargs, 1, 'attribute', null), caseSensitive ? undefined : ignoreCase);
  let best = items[0];
  let bestKey = key(best);
  for (const item of items.slice(1)) {
    const k = key(item);
    if (pyCompare(k, bestKey) * sign < 0) {
      best = item;
      bestKey = k;
    }
  }
  return best;
}

function selectOrReject(ctx: FilterContext, value: unknown, args: unknown[], kwargs: Kwargs, keep: boolean, lookupAttr: boolean): PyIterator {
  return new PyIterator('generator', () => {
    if (!truthy(value)) return [];
    let rest = args;
    let transform = (x: unknown): unknown => x;
    if (lookupAttr) {
      if (rest.length === 0) fail('TemplateRuntimeError', 'Missing parameter for attribute name');
      transform = attrGetter(rest[0]);
      rest = rest.slice(1);
    }
    const test = rest.length > 0 ? (x: unknown) => ctx.callTest(text(rest[0] as string), x, rest.slice(1), kwargs) : truthy;
    return iterate(value).filter((item) => test(transform(item)) === keep);
  });
}

/** A copy with every dict's keys sorted, as `pprint` prints dicts. */
function sortDicts(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDicts);
  if (v instanceof Tuple) return new Tuple(v.items.map(sortDicts));
  if (v instanceof Map) return new Map(sortKeyed([...v.keys()], (x) => x, false).map((k) => [k, sortDicts(v.get(k))]));
  return v;
}

/** The sequence filters, by name. */
export const SEQUENCE_FILTERS: Record<string, Filter> = {
  batch: (_c, v, a, k) =>
    new PyIterator('generator', () => {
      const n = Number(arg(a, k, 0, 'linecount', 1));
      const fill = arg(a, k, 1, 'fill_with', null);
      const out: unknown[][] = [];
      let tmp: unknown[] = [];
      for (const item of iterate(v)) {
        if (tmp.length === n) {
          out.push(tmp);
          tmp = [];
        }
        tmp.push(item);
      }
      if (tmp.length > 0) {
        if (fill !== null && tmp.length < n) tmp.push(...Array<unknown>(n - tmp.length).fill(fill));
        out.push(tmp);
      }
      return out;
    }),
  dictsort: (_c, v, a, k) => {
    if (v instanceof Undefined) return v.fail();
    if (!(v instanceof Map)) return fail('AttributeError', `'${typeName(v)}' object has no attribute 'items'`);
    const caseSensitive = truthy(arg(a, k, 0, 'case_sensitive', false));
    const by = arg(a, k, 1, 'by', 'key');
    const reverse = truthy(arg(a, k, 2, 'reverse', false));
    if (by !== 'key' && by !== 'value') fail('TemplateRuntimeError', 'You can only sort by either "key" or "value"');
    const pos = by === 'key' ? 0 : 1;
    const items = [...v].map(([key, value]) => new Tuple([key, value]));
    return sortKeyed(items, (t) => {
      const x = (t as Tuple).items[pos];
      return caseSensitive ? x : ignoreCase(x);
    }, reverse);
  },
  first: (_c, v) => {
    const items = iterate(v);
    return items.length > 0 ? items[0] : new Undefined('No first item, sequence was empty.');
  },
  groupby: (_c, v, a, k) => {
    const attribute = arg(a, k, 0, 'attribute', null);
    const fallback = arg(a, k, 1, 'default', null);
    const caseSensitive = truthy(arg(a, k, 2, 'case_sensitive', false));
    const key = attrGetter(attribute, caseSensitive ? undefined : ignoreCase, fallback);
    const realKey = attrGetter(attribute, undefined, fallback);
    const sorted = sortKeyed(iterate(v), key, false);
    const groups: Tuple[] = [];
    let current: { key: unknown; items: unknown[] } | null = null;
    for (const item of sorted) {
      const kv = key(item);
      if (current === null || pyCompare(current.key, kv) !== 0) {
        current = { key: kv, items: [] };
        groups.push(new Tuple([caseSensitive ? kv : realKey(item), current.items]));
      }
      current.items.push(item);
    }
    return groups;
  },
  items: (_c, v) =>
    new PyIterator('generator', () => {
      if (v instanceof Undefined) return [];
      if (!(v instanceof Map)) return typeError('Can only get item pairs from a mapping.');
      return [...v].map(([key, value]) => new Tuple([key, value]));
    }),
  join: (_c, v, a, k) => {
    const sep = arg(a, k, 0, 'd', '');
    const attribute = arg(a, k, 1, 'attribute', null);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(attribute));
    return items.map(pyStr).join(pyStr(sep));
  },
  last: (_c, v) => {
    if (v instanceof PyIterator) return typeError(`'${v.kind}' object is not reversible`);
    const items = iterate(v);
    return items.length > 0 ? items[items.length - 1] : new Undefined('No last item, sequence was empty.');
  },
  list: (_c, v) => iterate(v),
  map: (ctx, v, a, k) =>
    new PyIterator('generator', () => {
      if (!truthy(v)) return [];
      let f: (x: unknown) => unknown;
      if (a.length === 0 && k.has('attribute')) {
        const rest = new Map(k);
        const attribute = rest.get('attribute');
        const fallback = rest.get('default') ?? null;
        rest.delete('attribute');
        rest.delete('default');
        if (rest.size > 0) fail('TemplateRuntimeError', `Unexpected keyword argument '${[...rest.keys()][0]}'`);
        f = attrGetter(attribute, undefined, fallback);
      } else {
        if (a.length === 0) fail('TemplateRuntimeError', 'map requires a filter argument');
        const name = text(a[0] as string);
        f = (x) => ctx.callFilter(name, x, a.slice(1), k);
      }
      return iterate(v).map(f);
    }),
  max: (_c, v, a, k) => minMax(v, a, k, -1),
  min: (_c, v, a, k) => minMax(v, a, k, 1),
  pprint: (_c, v) => pyRepr(sortDicts(v)), // pprint sorts dict keys (its line wrapping past 80 columns is not reproduced)
  reject: (ctx, v, a, k) => selectOrReject(ctx, v, a, k, false, false),
  rejectattr: (ctx, v, a, k) => selectOrReject(ctx, v, a, k, false, true),

  select: (ctx, v, a, k) => selectOrReject(ctx, v, a, k, true, false),
  selectattr: (ctx, v, a, k) => selectOrReject(ctx, v, a, k, true, true),
  slice: (_c, v, a, k) =>
    new PyIterator('generator', () => {
      const seq = iterate(v);
      const slices = Number(arg(a, k, 0, 'slices', 1));
      const fill = arg(a, k, 1, 'fill_with', null);
      const per = Math.floor(seq.length / slices);
      const extra = seq.length % slices;
      let offset = 0;
      const out: unknown[][] = [];
      for (let i = 0; i < slices; i++) {
        const start = offset + i * per;
        if (i < extra) offset++;
        const end = offset + (i + 1) * per;
        const tmp = seq.slice(start, end);
        if (fill !== null && i >= extra) tmp.push(fill);
        out.push(tmp);
      }
      return out;
    }),
  sort: (_c, v, a, k) => {
    const reverse = truthy(arg(a, k, 0, 'reverse', false));
    const caseSensitive = truthy(arg(a, k, 1, 'case_sensitive', false));
    const attribute = arg(a, k, 2, 'attribute', null);
    const attrs = attribute === null ? [null] : isStr(attribute) ? text(attribute).split(',') : [attribute];
    const getters = attrs.map((x) => attrGetter(x, caseSensitive ? undefined : ignoreCase));
    const key = getters.length === 1 ? getters[0] : (x: unknown) => getters.map((g) => g(x));
    return sortKeyed(iterate(v), key, reverse);
  },
  sum: (_c, v, a, k) => {
    const attribute = arg(a, k, 0, 'attribute', null);
    let total = arg(a, k, 1, 'start', 0);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(attribute));
    for (const item of items) total = binaryOp('+', total, item);
    return total;
  },
  unique: (_c, v, a, k) =>
    new PyIterator('generator', () => {
      const caseSensitive = truthy(arg(a, k, 0, 'case_sensitive', false));
      const key = attrGetter(arg(a, k, 1, 'attribute', null), caseSensitive ? undefined : ignoreCase);
      const seen: unknown[] = [];
      const out: unknown[] = [];
      for (const item of iterate(v)) {
        const kv = key(item);
        checkHashable(kv);
        if (!pyContains(seen, kv)) {
          seen.push(kv);
          out.push(item);
        }
      }
      return out;
    }),
};
