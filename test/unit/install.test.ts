/** scripts/install.js: the npm install hook uses a binary the loader finds instead of compiling, and says why it fails. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, cpSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/models';

describe('install hook', () => {
  it('uses the binary the loader finds (here the local build) without compiling', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'install.js')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^llama-generate: using the local build \(build\/Release\)$/m);
    expect(r.stdout).not.toMatch(/cmake|Building/i);
  });

  it('with nothing to load and nothing to build with, fails with one message naming what it looked for and the ways out', () => {
    // A copy of the package without build/, prebuilds/ or llama.cpp sources, and a PATH without cmake or a compiler.
    const dir = mkdtempSync(join(tmpdir(), 'install-hook-'));
    try {
      const pkg = join(dir, 'node_modules', 'llama-generate');
      mkdirSync(join(pkg, 'scripts'), { recursive: true });
      cpSync(join(ROOT, 'scripts'), join(pkg, 'scripts'), { recursive: true });
      cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
      const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.js')], {
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: join(dir, 'empty-bin'), HOME: dir },
      });
      expect(r.status).toBe(1);
      const message = r.stderr;
      expect(message).toMatch(new RegExp(`^llama-generate: no native binary for ${process.platform}-${process.arch}`));
      expect(message).toContain(`@llama-generate/${process.platform}-${process.arch} (not installed)`);
      expect(message).toContain(join(pkg, 'build', 'Release', 'llama_generate.node'));
      expect(message).toMatch(/A source build needs cmake, a C\+\+17 compiler/);
      expect(message).toMatch(/1\. install a toolchain/);
      expect(message).toMatch(/2\. set LLAMA_GENERATE_BINARY/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
