'use strict';
/**
 * Which C/C++ compiler builds llama.cpp here. The default one, except where
 * it is GCC older than 13 on x86-64 Linux and clang 16 or newer is installed:
 * GCC 12 miscompiles ggml's AMX kernels (the sapphirerapids CPU variant dies
 * with SIGILL in `tileloadd` on prompt processing of Q8_0 models; the same
 * sources built by clang 16 run, and node-llama-cpp's GCC 11 build too). The
 * addon also skips that variant at run time when it was built by such a GCC
 * (CMakeLists.txt: LLAMA_GENERATE_SKIP_AMX), so a build without clang is
 * safe, only slower on AMX CPUs.
 *
 * CC / CXX in the environment always win.
 */
const { spawnSync } = require('node:child_process');

function version(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const m = /(\d+)(?:\.(\d+))?/.exec(r.stdout);
  return m ? Number(m[1]) : null;
}

/** The newest clang++ >= 16 on PATH, as [cc, cxx], or null. */
function findClang() {
  for (let v = 22; v >= 16; v--) {
    if (version(`clang++-${v}`, ['-dumpversion']) !== null) return [`clang-${v}`, `clang++-${v}`];
  }
  const plain = version('clang++', ['-dumpversion']);
  return plain !== null && plain >= 16 ? ['clang', 'clang++'] : null;
}

/**
 * `{ CC, CXX, reason }` to set for the build, or null to keep the default.
 * Only on x86-64 Linux (the AMX kernels exist only there).
 */
function pickCompilers(env = process.env) {
  if (env.CC || env.CXX) return null;
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const gcc = version(env.CXX || 'c++', ['-dumpversion']) ?? version('g++', ['-dumpversion']);
  const isGcc = spawnSync('c++', ['--version'], { encoding: 'utf8' }).stdout?.includes('Free Software Foundation');
  if (!isGcc || gcc === null || gcc >= 13) return null;
  const clang = findClang();
  if (!clang) return null;
  return { CC: clang[0], CXX: clang[1], reason: `GCC ${gcc} miscompiles ggml's AMX kernels; ${clang[1]} builds them correctly` };
}

module.exports = { pickCompilers };
