import { describe, expect, it } from 'vitest';
import { checkImports, importsOf, readTree } from './import-check.ts';

const repo = new URL('../../', import.meta.url).pathname;
const tree = readTree(repo, ['services', 'schemas']);

describe('the import boundaries of services/ (services/layers.ts)', () => {
  it('hold on the tree: no import against the layers, no circle, no stale exception', () => {
    expect(tree.size).toBeGreaterThan(150);
    expect(checkImports(tree)).toEqual({ violations: [], cycles: [], staleExceptions: [] });
  });

  it('fail on a deliberate violation of each kind', () => {
    const bad = new Map(tree);
    bad.set('services/common/uses-tracer.ts', "import { applyHops } from '../tracer/domain/chain.ts';\n");
    bad.set('services/ingest/uses-correlator.ts', "export { indexRequestOf } from '../correlator/pipeline.ts';\n");
    bad.set('services/tracer/domain/talks.ts', "import { Kafka } from 'kafkajs';\nimport net from 'node:net';\n");
    bad.set('services/tracer/domain/a.ts', "import type { B } from './b.ts';\n");
    bad.set('services/tracer/domain/b.ts', "import type { A } from './a.ts';\n");
    const r = checkImports(bad);
    expect(r.violations).toEqual([
      'services/common/uses-tracer.ts -> services/tracer/domain/chain.ts: kit (services/common) imports the higher layer stages (services/tracer)',
      'services/ingest/uses-correlator.ts -> services/correlator/pipeline.ts: services/ingest and services/correlator are both stages: neither imports the other',
      'services/tracer/domain/talks.ts -> kafkajs: a domain folder imports an I/O module',
      'services/tracer/domain/talks.ts -> node:net: a domain folder imports an I/O module',
    ]);
    expect(r.cycles).toEqual([['services/tracer/domain/a.ts', 'services/tracer/domain/b.ts']]);
  });

  it('reports an exception that no longer occurs, so the list only shrinks', () => {
    expect(checkImports(tree, ['services/common/x.ts -> services/tracer/y.ts']).staleExceptions).toEqual(['services/common/x.ts -> services/tracer/y.ts']);
  });

  it('reads every import form and skips comments', () => {
    expect(importsOf([
      "import a from './a.ts';", "import type { B } from '../b.ts';", "export * from './c.ts';", "import './d.ts';",
      "const e = await import('./e.ts');", "// import x from './commented.ts';", "/* import y from './block.ts'; */",
      "import {\n  f,\n  g,\n} from './fg.ts';",
    ].join('\n'))).toEqual(['./a.ts', '../b.ts', './c.ts', './d.ts', './e.ts', './fg.ts']);
  });
});
