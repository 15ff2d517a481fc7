/** .github/workflows/prebuild.yml: the package matrix, the scripts it runs, when it publishes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../support/models';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  'runs-on'?: string;
  container?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: { include?: Array<Record<string, unknown>> } };
  steps?: Step[];
}

interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const FILE = join(ROOT, '.github', 'workflows', 'prebuild.yml');
const TEXT = readFileSync(FILE, 'utf8');
const WORKFLOW = parse(TEXT) as Workflow;
const SCRIPTS: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;

/** Every prebuilt package: platform, arch and backend (the lead's package matrix). */
const EXPECTED_PACKAGES = [
  'linux-x64-cpu',
  'linux-x64-vulkan',
  'linux-x64-cuda',
  'linux-arm64-cpu',
  'linux-arm64-vulkan',
  'darwin-arm64-cpu',  // Metal is built into the CPU package on macOS
  'darwin-x64-cpu',
  'win32-x64-cpu',
  'win32-x64-vulkan',
  'win32-x64-cuda',
];

/** Matrix entries that build a package, with the job they belong to. */
const BUILDS = Object.entries(WORKFLOW.jobs).flatMap(([job, spec]) =>
  (spec.strategy?.matrix?.include ?? [])
    .filter((entry) => typeof entry.package === 'string')
    .map((entry) => ({ job, ...(entry as { package: string; platform: string; arch: string; backend: string; runner: string; test: boolean }) })),
);
const BUILD_JOBS = [...new Set(BUILDS.map((b) => b.job))];

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs]);
const stepsOf = (job: string): Step[] => WORKFLOW.jobs[job]?.steps ?? [];
const runs = (job: string): string => stepsOf(job).map((s) => s.run ?? '').join('\n');

describe('prebuild workflow', () => {
  it('runs on version tags, pull requests and by hand', () => {
    expect(Object.keys(WORKFLOW.on).sort()).toEqual(['pull_request', 'push', 'workflow_dispatch']);
    expect((WORKFLOW.on.push as { tags: string[] }).tags).toEqual(['v*']);
    expect(WORKFLOW.permissions).toEqual({ contents: 'read' });
  });

  it('builds every platform/arch/backend package exactly once', () => {
    const built = BUILDS.map((b) => `${b.platform}-${b.arch}-${b.backend}`);
    expect([...built].sort()).toEqual([...EXPECTED_PACKAGES].sort());
    for (const b of BUILDS) {
      // The staged directory's name: @llama-generate/<platform>-<arch>[-<backend>].
      expect(b.package).toBe(b.backend === 'cpu' ? `${b.platform}-${b.arch}` : `${b.platform}-${b.arch}-${b.backend}`);
    }
  });

  it('builds each package on a runner of its own OS and architecture', () => {
    for (const b of BUILDS) {
      const runner = b.runner;
      if (b.platform === 'linux') expect(runner, b.package).toMatch(b.arch === 'arm64' ? /^ubuntu-.*-arm$/ : /^ubuntu-[\d.]+$/);
      if (b.platform === 'darwin') expect(runner, b.package).toBe(b.arch === 'arm64' ? 'macos-14' : 'macos-13');
      if (b.platform === 'win32') expect(runner, b.package).toMatch(/^windows-/);
      // Every build job picks its runner from the matrix.
      expect(WORKFLOW.jobs[b.job]!['runs-on']).toBe('${{ matrix.runner }}');
    }
    // Linux builds run in a container chosen for its glibc baseline.
    for (const b of BUILDS.filter((b) => b.platform === 'linux')) expect((b as Record<string, unknown>).container, b.package).toBeTruthy();
    expect(WORKFLOW.jobs.linux!.container).toBe('${{ matrix.container }}');
  });

  it('stages, tests and uploads each package', () => {
    for (const job of BUILD_JOBS) {
      const steps = stepsOf(job);
      expect(runs(job)).toMatch(/npm run pack:prebuilt -- --backend \$\{\{ matrix\.backend \}\}/);
      expect(runs(job)).toMatch(/npm run vendor/);
      const test = steps.find((s) => s.run === 'npm test');
      expect(test?.if, job).toBe('matrix.test');
      const upload = steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
      expect(upload?.with).toMatchObject({ name: '${{ matrix.package }}', path: 'packages/dist/${{ matrix.package }}/' });
      expect(steps.some((s) => s.uses?.startsWith('actions/setup-node@') && String(s.with?.['node-version']).includes('NODE_VERSION'))).toBe(true);
    }
    // CPU packages run the test suite; GPU packages only build (hosted runners have no GPU).
    for (const b of BUILDS) expect(b.test, b.package).toBe(b.backend === 'cpu');
    // The linux-x64 package is also installed the way a user does.
    const installJobs = Object.keys(WORKFLOW.jobs).filter((job) => /npm run test:install/.test(runs(job)));
    expect(installJobs).toHaveLength(1);
    const install = installJobs[0]!;
    expect(needsOf(WORKFLOW.jobs[install]!)).toContain('linux');
    expect(stepsOf(install).find((s) => s.uses?.startsWith('actions/download-artifact@'))?.with).toMatchObject({ name: 'linux-x64' });
  });

  it('runs only npm scripts that package.json defines', () => {
    const used = [...TEXT.matchAll(/\bnpm run ([\w:.-]+)/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    // prebuild.yml needs pack:prebuilt, pack:all and test:install from package.json.
    for (const name of new Set(used)) expect(SCRIPTS, `npm run ${name}`).toHaveProperty([name]);
    if (/\bnpm test\b/.test(TEXT)) expect(SCRIPTS).toHaveProperty(['test']);
    // Not `prebuild`: npm would run a script of that name before every `npm run build`.
    expect(used).not.toContain('prebuild');
  });

  it('publishes only on version tags, after every other job, with provenance', () => {
    const publish = WORKFLOW.jobs.publish!;
    const others = Object.keys(WORKFLOW.jobs).filter((job) => job !== 'publish');
    expect([...needsOf(publish)].sort()).toEqual([...others].sort());
    for (const job of BUILD_JOBS) expect(needsOf(publish)).toContain(job);
    expect(publish.if).toMatch(/github\.event_name == 'push'/);
    expect(publish.if).toMatch(/startsWith\(github\.ref, 'refs\/tags\/v'\)/);
    expect(publish.permissions).toMatchObject({ 'id-token': 'write' });
    expect(runs('publish')).toMatch(/npm publish .*--provenance --access public/);
    const setupNode = stepsOf('publish').find((s) => s.uses?.startsWith('actions/setup-node@'));
    expect(setupNode?.with?.['registry-url']).toBe('${{ vars.NPM_REGISTRY_URL }}');
    expect(stepsOf('publish').find((s) => s.name === 'Publish')?.env).toMatchObject({ NODE_AUTH_TOKEN: '${{ secrets.NPM_TOKEN }}' });
    // Nothing else publishes or can mint an id token.
    for (const job of others) {
      expect(runs(job), job).not.toMatch(/npm publish/);
      expect(WORKFLOW.jobs[job]!.permissions?.['id-token'], job).toBeUndefined();
    }
  });

  it('names no package registry host', () => {
    // Every host in a URL or bare domain: none may belong to a JavaScript package registry or Debian's archive.
    const hosts = [...TEXT.matchAll(/\b(?:[a-z0-9-]+\.)+(?:org|com|net|io|dev)\b/gi)].map((m) => m[0].toLowerCase());
    for (const host of hosts) {
      expect(host.split('.').some((label) => /npm|yarn|debian/.test(label)), host).toBe(false);
    }
    expect(TEXT).not.toMatch(/_authToken/);
    // `registry-url` only ever comes from a repository variable.
    for (const m of TEXT.matchAll(/registry-url:\s*(.*)/g)) expect(m[1]!.trim()).toMatch(/^\$\{\{ vars\.\w+ \}\}$/);
  });
});
