/** docs/generation-config.md is generated from lib/config's metadata: it must be up to date. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIELD_NAMES } from '../../lib/config/meta';
import { DOC_PATH, NAMES, renderFieldTable, updateDoc } from '../../scripts/gen-config-doc';

describe('docs/generation-config.md', () => {
  it('is up to date with lib/config (run npm run docs:config)', () => {
    const committed = readFileSync(DOC_PATH, 'utf8');
    expect(updateDoc(committed), 'docs/generation-config.md is out of date: run npm run docs:config').toBe(committed);
  });

  it('has one table row per field, and names for exactly the fields', () => {
    const rows = renderFieldTable().split('\n').slice(2);
    expect(rows.map((row) => /^\| `(\w+)`/.exec(row)?.[1])).toEqual([...FIELD_NAMES]);
    expect(Object.keys(NAMES).sort()).toEqual([...FIELD_NAMES].sort());
  });

  it('refuses a doc without its markers', () => {
    expect(() => updateDoc('# no markers\n')).toThrow(/markers/);
  });
});
