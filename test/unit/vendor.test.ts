/** scripts/vendor-llama-cpp.js: pinned, verified, idempotent, atomic, clear offline error. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/models';

const SCRIPT = join(ROOT, 'scripts', 'vendor-llama-cpp.js');
const VENDORED = join(ROOT, 'vendor', 'llama.cpp');
const PINNED_COMMIT = 'de3ff815ea7d559ee917f063901b8986f038abc6';

function vendor(env: Record<string, string | undefined>) {
  const { LLAMA_GENERATE_LLAMA_CPP_DIR: _ignored, ...base } = process.env;
  const r = spawnSync(process.execPath, [SCRIPT], { env: { ...base, ...env }, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function head(dir: string): string {
  return spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
}

const scratchDirs: string[] = [];
afterAll(() => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

function scratchTarget(): { dir: string; target: string } {
  const dir = mkdtempSync(join(tmpdir(), 'llama-generate-vendor-test-'));
  scratchDirs.push(dir);
  return { dir, target: join(dir, 'llama.cpp') };
}

if (!existsSync(VENDORED)) console.warn('skipped: the idempotence test needs vendor/llama.cpp, which this install does not have');

describe('vendor script', () => {
  it.skipIf(!existsSync(VENDORED))('does nothing when vendor/llama.cpp is at the pinned commit', () => {
    const r = vendor({});
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/already at de3ff815ea7d with its patches; nothing to do/);
    expect(head(VENDORED)).toBe(PINNED_COMMIT);
  });

  it('fails with one clear line when the registry is unreachable, leaving nothing behind', () => {
    const { dir, target } = scratchTarget();
    const r = vendor({
      LLAMA_GENERATE_VENDOR_DIR: target,
      npm_config_registry: 'http://127.0.0.1:9/',
      npm_config_cache: join(dir, 'empty-npm-cache'),
      npm_config_fetch_retries: '0',
    });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/cannot fetch node-llama-cpp@3\.22\.1 from the npm registry/);
    expect(lines[0]).toMatch(/LLAMA_GENERATE_LLAMA_CPP_DIR/);
    expect(readdirSync(dir).filter((f) => f.startsWith('llama.cpp'))).toEqual([]);
  });

  it('refuses a tarball whose integrity does not match the pin', () => {
    const { dir, target } = scratchTarget();
    const fake = join(dir, 'node-llama-cpp-3.22.1.tgz');
    writeFileSync(fake, 'not the real tarball');
    const r = vendor({ LLAMA_GENERATE_VENDOR_DIR: target, LLAMA_GENERATE_LLAMA_TARBALL: fake });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/integrity check failed/);
    expect(readdirSync(dir).filter((f) => f.startsWith('llama.cpp'))).toEqual([]);
  });

  it('refuses a directory at another commit instead of overwriting it', () => {
    const { target } = scratchTarget();
    mkdirSync(target);
    spawnSync('git', ['init', '-q', target]);
    spawnSync('git', ['-C', target, '-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'x']);
    const r = vendor({ LLAMA_GENERATE_VENDOR_DIR: target });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/not the pinned de3ff815ea7d; remove it/);
  });

  it('uses LLAMA_GENERATE_LLAMA_CPP_DIR when set, and checks it is a llama.cpp checkout', () => {
    const { dir } = scratchTarget();
    const bad = vendor({ LLAMA_GENERATE_LLAMA_CPP_DIR: dir });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/is not a llama\.cpp checkout/);
    if (existsSync(VENDORED)) {
      const good = vendor({ LLAMA_GENERATE_LLAMA_CPP_DIR: VENDORED });
      expect(good.status).toBe(0);
      expect(good.stdout).toMatch(/using llama\.cpp from LLAMA_GENERATE_LLAMA_CPP_DIR/);
    }
  });

  it('fetches, verifies and clones the pinned commit, then a second run does nothing', () => {
    const { dir, target } = scratchTarget();
    // A leftover from an interrupted run must not count as a finished clone.
    mkdirSync(`${target}.partial-leftover`);
    const first = vendor({ LLAMA_GENERATE_VENDOR_DIR: target });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(head(target)).toBe(PINNED_COMMIT);
    expect(existsSync(join(target, 'include', 'llama.h'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('llama.cpp.partial-') && f !== 'llama.cpp.partial-leftover')).toEqual([]);
    const second = vendor({ LLAMA_GENERATE_VENDOR_DIR: target });
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/nothing to do/);
  }, 300_000);
});
