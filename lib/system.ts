/** What the machine offers: CPU cores for the thread defaults. */
import { readFileSync, readdirSync } from 'node:fs';
import * as os from 'node:os';

let physicalCores: number | undefined;

function linuxPhysicalCores(): number {
  // One entry per physical core: the set of logical CPUs sharing it.
  const cores = new Set<string>();
  for (const name of readdirSync('/sys/devices/system/cpu')) {
    if (!/^cpu\d+$/.test(name)) continue;
    try {
      cores.add(readFileSync(`/sys/devices/system/cpu/${name}/topology/thread_siblings_list`, 'utf8').trim());
    } catch {
      // offline CPU or no topology: skip
    }
  }
  return cores.size;
}

/**
 * Physical CPU cores available to this process (hyper-threads not counted):
 * the default thread count, as in llama.cpp, since generation is limited by
 * memory bandwidth and a second thread per core only adds contention. Falls
 * back to `os.availableParallelism()` where the topology is unknown.
 */
export function physicalCoreCount(): number {
  if (physicalCores === undefined) {
    const logical = os.availableParallelism();
    let physical = 0;
    if (process.platform === 'linux') {
      try {
        physical = linuxPhysicalCores();
      } catch {
        physical = 0;
      }
    }
    physicalCores = physical > 0 ? Math.min(physical, logical) : logical;
  }
  return physicalCores;
}
