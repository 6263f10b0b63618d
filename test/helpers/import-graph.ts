// The import graph of a TypeScript source tree (every relative import, `import type` and re-exports
// included), and the checks test/architecture.test.ts runs on bindings/: cycles between files or folders,
// and imports that cross a forbidden boundary.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import ts from 'typescript';

/** file (relative to the root, posix separators) -> the files it imports. */
export type ImportGraph = Map<string, Set<string>>;

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Parses every .ts file under root; a relative `./x.js` specifier resolves to `x.ts` under root. */
export function importGraph(root: string, files?: Map<string, string>): ImportGraph {
  const sources = files ?? new Map(walk(root).map((p) => [relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8')]));
  const graph: ImportGraph = new Map();
  for (const [file, text] of sources) {
    const deps = new Set<string>();
    for (const ref of ts.preProcessFile(text, true, true).importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (sources.has(target)) deps.add(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** The folder a file belongs to for the folder-level checks: its first directory (`.` at the root). */
export function folderOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? '.' : file.slice(0, i);
}

/** Collapses a file graph to folders (self-edges dropped). */
export function folderGraph(graph: ImportGraph, exclude: (file: string) => boolean = () => false): ImportGraph {
  const out: ImportGraph = new Map();
  for (const [file, deps] of graph) {
    if (exclude(file)) continue;
    const from = folderOf(file);
    if (!out.has(from)) out.set(from, new Set());
    for (const d of deps) if (!exclude(d) && folderOf(d) !== from) out.get(from)!.add(folderOf(d));
  }
  return out;
}

/** Every strongly connected component with more than one node (Tarjan), each as a sorted list. */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** Edges from a file matching `from` to a file matching `to`, as "a -> b" lines. */
export function edges(graph: ImportGraph, from: (f: string) => boolean, to: (f: string) => boolean): string[] {
  const out: string[] = [];
  for (const [file, deps] of graph) if (from(file)) for (const d of deps) if (to(d)) out.push(`${file} -> ${d}`);
  return out.sort();
}

/** Files reachable from `start` (start included). */
export function reachable(graph: ImportGraph, start: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const d of graph.get(f) ?? []) todo.push(d);
  }
  return seen;
}

export const bindingsRoot = join(dirname(new URL(import.meta.url).pathname), '..', '..', 'bindings');
