/**
 * Which module files the initramfs needs, worked out from the kernel's own `modules.dep` and
 * `modules.builtin`: a wanted driver is loaded from its file with its dependencies first, or
 * skipped when this kernel has it built in (trixie's cloud kernel builds in virtio_ring, virtio
 * and virtio_console; bookworm's shipped them as modules). Anything else is a clear build error,
 * not a sandbox that hangs at boot looking for its disk.
 */

/** Module name as the kernel uses it: file name without `.ko[.xz|.zst|.gz]`, `-` as `_`. */
export function moduleName(path: string): string {
  const file = path.slice(path.lastIndexOf('/') + 1);
  return file.replace(/\.ko(\.[a-z0-9]+)?$/, '').replaceAll('-', '_');
}

/** `modules.dep`: module path (relative to /lib/modules/REL) → the paths it depends on. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const path = line.slice(0, colon).trim();
    const needs = line
      .slice(colon + 1)
      .split(/\s+/)
      .filter((dep) => dep.length > 0);
    if (path) deps.set(path, needs);
  }
  return deps;
}

/** `modules.builtin`: the names of modules compiled into the kernel. */
export function parseModulesBuiltin(text: string): Set<string> {
  return new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line.length > 0)
      .map(moduleName),
  );
}

export interface ModulePlan {
  /** Module file paths (relative to /lib/modules/REL) in load order, dependencies first. */
  load: string[];
  /** Wanted modules this kernel has built in. */
  builtin: string[];
}

export class ModuleNotFoundError extends Error {}

/**
 * The files to load for `wanted`, dependencies first, each once. A wanted module with neither
 * a file nor a built-in entry throws, naming the kernel.
 */
export function planModules(
  wanted: readonly string[],
  deps: Map<string, string[]>,
  builtin: Set<string>,
  kernelRelease: string,
): ModulePlan {
  const byName = new Map<string, string>();
  for (const path of deps.keys()) byName.set(moduleName(path), path);
  const load: string[] = [];
  const builtinWanted: string[] = [];
  const visit = (path: string, chain: string[]) => {
    if (load.includes(path)) return;
    if (chain.includes(path)) {
      throw new ModuleNotFoundError(`modules.dep has a cycle: ${[...chain, path].join(' -> ')}`);
    }
    for (const dep of deps.get(path) ?? []) visit(dep, [...chain, path]);
    load.push(path);
  };
  for (const name of wanted) {
    const path = byName.get(moduleName(name));
    if (path) {
      visit(path, []);
    } else if (builtin.has(moduleName(name))) {
      builtinWanted.push(name);
    } else {
      throw new ModuleNotFoundError(
        `kernel ${kernelRelease} has no module ${name}: no file for it in modules.dep and not built in (modules.builtin); the sandbox cannot boot without it`,
      );
    }
  }
  return { load, builtin: builtinWanted };
}
