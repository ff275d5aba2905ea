// The dashboard is checked offline: it parses, its panels do not overlap, and every metric
// it queries by name is one a service registers (so a renamed metric cannot leave an empty panel).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCorrelatorMetrics } from '../../services/correlator/metrics.ts';
import { createGatewayMetrics } from '../../services/gateway/metrics.ts';
import { createIngestMetrics } from '../../services/ingest/metrics.ts';
import { createSimulatorMetrics } from '../../services/simulator/metrics.ts';
import { createTracerMetrics } from '../../services/tracer/metrics.ts';

interface Panel { title: string; gridPos: { x: number; y: number; w: number; h: number }; targets: { expr: string }[] }
const dashboard = JSON.parse(readFileSync(new URL('./dashboards/crosstrace.json', import.meta.url), 'utf8')) as { panels: Panel[] };

async function registered(): Promise<Set<string>> {
  const registries = [createIngestMetrics(), createCorrelatorMetrics(), createTracerMetrics(), createGatewayMetrics(), createSimulatorMetrics()]
    .map((m) => m.stage.registry);
  const names = new Set<string>();
  for (const r of registries) for (const m of await r.getMetricsAsJSON()) names.add(m.name);
  return names;
}

describe('grafana dashboard', () => {
  it('queries only metrics the services register', async () => {
    const names = await registered();
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\b(crosstrace_[a-z0-9_]+)/g)].map((m) => m[1]!)))
      .filter((n) => !n.endsWith('_')) // a prefix inside a __name__ regex
      .map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((n) => !names.has(n))).toEqual([]);
  });

  it('lays panels out without overlap', () => {
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
