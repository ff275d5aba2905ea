// Import-boundary check over the source tree: every relative import is resolved to a file and
// judged by services/layers.ts (layer direction, no imports between folders of one layer, no
// I/O module in a domain folder), and circles of files are found. Works on a map of file ->
// source text, so a test can feed it a deliberate violation. Pure apart from readTree.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { DOMAIN_FOLDERS, IO_MODULES, KNOWN_EXCEPTIONS, LAYERS, TEST_DATA_FOLDERS } from '../../services/layers.ts';

export type Tree = ReadonlyMap<string, string>;

/** Every .ts file under `roots` (repo-relative paths, '/'-separated) with its text. */
export function readTree(repo: string, roots: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const root of roots) {
    for (const e of readdirSync(join(repo, root), { recursive: true, withFileTypes: true })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const path = join(e.parentPath, e.name).slice(repo.length).replace(/^\/+/, '');
      files.set(path, readFileSync(join(repo, path), 'utf8'));
    }
  }
  return files;
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/gm;

/** The specifiers a file imports (static, re-exports, side-effect and literal dynamic imports). */
export function importsOf(text: string): string[] {
  const stripped = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return [...stripped.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

const folderOf = (file: string): string | null => {
  for (const l of LAYERS) for (const f of l.folders) if (file === f || file.startsWith(`${f}/`)) return f;
  return null;
};
const layerOf = (folder: string): number => LAYERS.findIndex((l) => l.folders.includes(folder));
const isDomain = (file: string): boolean => DOMAIN_FOLDERS.some((d) => new RegExp(`^${d.replace('*', '[^/]+')}/`).test(file));
const isTest = (file: string): boolean => file.endsWith('.test.ts');

export interface Report { violations: string[]; cycles: string[][]; staleExceptions: string[] }

export function checkImports(tree: Tree, exceptions: readonly string[] = KNOWN_EXCEPTIONS): Report {
  const violations: string[] = [];
  const used = new Set<string>();
  const edges = new Map<string, string[]>();
  const flag = (edge: string, why: string): void => {
    if (exceptions.includes(edge)) used.add(edge); else violations.push(`${edge}: ${why}`);
  };
  for (const [file, text] of tree) {
    const from = folderOf(file);
    const out: string[] = [];
    for (const spec of importsOf(text)) {
      if (!spec.startsWith('.')) {
        if (isDomain(file) && IO_MODULES.includes(spec)) flag(`${file} -> ${spec}`, 'a domain folder imports an I/O module');
        continue;
      }
      const target = normalize(join(dirname(file), spec));
      const to = folderOf(target);
      if (!isTest(file)) out.push(target);
      if (from === null || to === null || from === to) continue;
      if (isTest(file) && TEST_DATA_FOLDERS.includes(to)) continue;
      const [lf, lt] = [layerOf(from), layerOf(to)];
      if (lt > lf) flag(`${file} -> ${target}`, `${LAYERS[lf]!.name} (${from}) imports the higher layer ${LAYERS[lt]!.name} (${to})`);
      else if (lt === lf) flag(`${file} -> ${target}`, `${from} and ${to} are both ${LAYERS[lf]!.name}: neither imports the other`);
    }
    edges.set(file, out);
  }
  return { violations, cycles: cyclesOf(edges), staleExceptions: exceptions.filter((e) => !used.has(e)) };
}

/** Circles of files (Tarjan's strongly connected components of more than one file, or a self-import). */
export function cyclesOf(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return found;
}
