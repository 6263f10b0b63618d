// The layout docs/architecture.md describes, checked on the import graph of bindings/ (every relative
// import, `import type` and re-export): no cycle between files or folders; nothing on the inference path
// reaches bindings/offline/ (the float work done once); production files do not import scalar references
// (x.ref.ts); formats/ are pure parsers; entry/ does not reach cli/. The checks are also run on small
// graphs built to break each rule, so that each one is seen to fail.
import { describe, expect, it } from 'vitest';
import { bindingsRoot, cycles, edges, folderGraph, importGraph, reachable, type ImportGraph } from './helpers/import-graph.js';

/** Folders whose code runs per token (or loads kernels); with the integer forward below, the inference path. */
const INFERENCE_FOLDERS = ['runtime', 'threads', 'gemm', 'sparse', 'ops', 'attention', 'common', 'sampling'];
const INFERENCE_FILES = ['model/integer/integer-llama.ts'];

const isRef = (f: string) => f.endsWith('.ref.ts');
const inFolder = (folder: string) => (f: string) => f.startsWith(`${folder}/`);

function inferencePath(graph: ImportGraph): string[] {
  return [...graph.keys()].filter((f) => INFERENCE_FILES.includes(f) || (INFERENCE_FOLDERS.some((d) => inFolder(d)(f)) && !isRef(f)));
}

/** Every rule, as a list of violations (empty when the graph keeps the layout). */
function violations(graph: ImportGraph): Record<string, string[]> {
  const offline = [...reachable(graph, inferencePath(graph))].filter(inFolder('offline'));
  return {
    fileCycles: cycles(graph).map((c) => c.join(' <-> ')),
    folderCycles: cycles(folderGraph(graph)).map((c) => c.join(' <-> ')),
    inferenceReachesOffline: offline,
    productionImportsReference: edges(graph, (f) => !isRef(f) && f !== 'index.ts', isRef),
    formatsImportOutside: edges(graph, inFolder('formats'), (d) => !inFolder('formats')(d)),
    entryReachesCli: [...reachable(graph, [...graph.keys()].filter(inFolder('entry')))].filter(inFolder('cli')),
  };
}

function graphOf(files: Record<string, string>): ImportGraph {
  return importGraph('', new Map(Object.entries(files)));
}

describe('bindings/ import graph', () => {
  const graph = importGraph(bindingsRoot);

  it('parses the tree (sanity: known edges are seen)', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('model/integer/integer-llama.ts')).toContain('runtime/instance.ts');
    expect(graph.get('gemm/epilogue.ref.ts')).toContain('ops/requant.ref.ts');
  });

  for (const [rule, found] of Object.entries(violations(graph))) {
    it(`has no ${rule}`, () => {
      expect(found).toEqual([]);
    });
  }
});

describe('the rules fail on graphs that break them', () => {
  it('file and folder cycles, with type-only imports counted', () => {
    const v = violations(graphOf({
      'runtime/a.ts': "import { b } from '../threads/b.js';",
      'threads/b.ts': "import type { A } from '../runtime/a.js';",
      'gemm/x.ts': "import { y } from '../ops/y.js';",
      'ops/y.ts': "export const y = 1;",
      'ops/z.ts': "export { x } from '../gemm/x.js';",
    }));
    expect(v.fileCycles).toEqual(['runtime/a.ts <-> threads/b.ts']);
    expect(v.folderCycles.sort()).toEqual(['gemm <-> ops', 'runtime <-> threads']);
  });

  it('the inference path reaching offline/, directly or through another folder', () => {
    const v = violations(graphOf({
      'model/integer/integer-llama.ts': "import { q } from '../load.js';",
      'model/load.ts': "import { q } from '../offline/quantize-model.js';",
      'offline/quantize-model.ts': 'export const q = 1;',
      'ops/norm.ts': "const t = await import('../offline/gamma.js');",
      'offline/gamma.ts': 'export const g = 1;',
    }));
    expect(v.inferenceReachesOffline.sort()).toEqual(['offline/gamma.ts', 'offline/quantize-model.ts']);
  });

  it('references, formats and entry', () => {
    const v = violations(graphOf({
      'ops/requant.ts': "import type { R } from './requant.ref.js';",
      'ops/requant.ref.ts': 'export type R = number;',
      'formats/gguf.ts': "import type { LlamaConfig } from '../model/config.js';",
      'model/config.ts': 'export type LlamaConfig = {};',
      'entry/node.ts': "export { f } from '../cli/node-files.js';",
      'cli/node-files.ts': 'export const f = 1;',
    }));
    expect(v.productionImportsReference).toEqual(['ops/requant.ts -> ops/requant.ref.ts']);
    expect(v.formatsImportOutside).toEqual(['formats/gguf.ts -> model/config.ts']);
    expect(v.entryReachesCli).toEqual(['cli/node-files.ts']);
  });
});
