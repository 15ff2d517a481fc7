/** scripts/install.js: the npm install hook uses an existing binary instead of rebuilding. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/models';

describe('install hook', () => {
  it('uses the binary node-gyp-build finds (a build or a prebuild) without compiling', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'install.js')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^llama-generate: using (build\/(Release|Debug)|prebuilds\/[\w-]+)\/[\w-]+\.node$/m);
  });
});
