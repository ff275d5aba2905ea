// docker-compose.yml must not rot: every service with a config schema is in it, its
// environment parses under that schema (no unknown keys, no bad values), Prometheus scrapes
// its HTTP port on the compose network, and only the gateway and Grafana are published on all
// interfaces; Redis requires a login and each service that keeps state there has its own ACL
// user (deploy/security/redis-users.json) through the env_file compose-init writes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ConfigDefinition } from '../services/common/config.ts';
import { loadRedisUsers } from '../services/common/redis-acl.ts';

const root = new URL('../', import.meta.url).pathname;
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown>; ports?: string[]; env_file?: string[] }> };
const prom = readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8');

const serviceDirs = readdirSync(`${root}services`).filter((d) => existsSync(`${root}services/${d}/config.ts`) && existsSync(`${root}services/${d}/main.ts`));

async function definitionOf(name: string): Promise<ConfigDefinition<Record<string, never>>> {
  const mod = (await import(`${root}services/${name}/config.ts`)) as Record<string, unknown>;
  const def = Object.values(mod).find((v) => typeof v === 'object' && v !== null && 'spec' in v && 'ownPrefix' in v);
  if (!def) throw new Error(`services/${name}/config.ts exports no defineConfig(...) result`);
  return def as ConfigDefinition<Record<string, never>>;
}

describe('docker-compose.yml', () => {
  it('keeps state across restarts: Redis with AOF on a volume, the registry on SQL storage', () => {
    const all = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { image?: string; command?: string[]; volumes?: string[] }> };
    const redis = all.services.redis!;
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes --appendfsync everysec/);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(all.services.registry!.image).toMatch(/apicurio-registry-sql/);
  });

  it('publishes only the gateway and Grafana on all interfaces (the collector\'s device ports on COLLECTOR_PUBLISH_ADDR, loopback by default)', () => {
    const published = Object.entries(compose.services).filter(([, svc]) => (svc.ports ?? []).length > 0).map(([name]) => name).sort();
    expect(published).toEqual(['collector', 'gateway', 'grafana']);
    for (const p of compose.services.collector!.ports!) expect(p).toMatch(/^\$\{COLLECTOR_PUBLISH_ADDR:-127\.0\.0\.1\}:\d+:\d+\/(udp|tcp)$/);
  });

  it('starts Redis with the ACL users and gives each service that keeps state there its own user', () => {
    const all = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, unknown> }> };
    expect(all.services.redis!.command?.join(' ')).toContain('--include /etc/crosstrace-redis/users.conf');
    expect(all.services.redis!.volumes).toContain('./.stack/compose/redis/users.conf:/etc/crosstrace-redis/users.conf:ro');
    for (const user of Object.keys(loadRedisUsers(`${root}deploy/security/redis-users.json`))) {
      expect(compose.services[user]?.env_file, `${user} reads its REDIS_URL from its env_file`).toEqual([`.stack/compose/redis/${user}.env`]);
    }
    for (const [name, svc] of Object.entries(all.services)) expect(svc.environment?.REDIS_URL, `${name} must not name a Redis login in the compose file`).toBeUndefined();
  });

  it('has every service that has a config schema', () => {
    expect(serviceDirs.length).toBeGreaterThanOrEqual(3);
    for (const s of serviceDirs) expect(Object.keys(compose.services), `service ${s} missing from docker-compose.yml`).toContain(s);
  });

  for (const name of serviceDirs) {
    it(`${name}: environment parses under its config schema and the HTTP port is published and scraped`, async () => {
      const def = await definitionOf(name);
      const svc = compose.services[name];
      if (!svc) throw new Error(`no compose service ${name}`);
      const env = Object.fromEntries(Object.entries(svc.environment ?? {}).filter(([k]) => k !== 'SERVICE').map(([k, v]) => [k, String(v)]));
      for (const k of Object.keys(env)) expect(Object.keys(def.spec), `${name}: ${k} is not a key of its config`).toContain(k);
      const cfg = def.parse(env) as Record<string, unknown>;
      const portKey = Object.keys(def.spec).find((k) => k.endsWith('_HTTP_PORT'));
      if (!portKey) throw new Error(`${name} has no *_HTTP_PORT setting`);
      const port = String(cfg[portKey]);
      if (name === 'gateway') expect(svc.ports ?? [], `${name} must publish its HTTP port ${port}`).toContain(`${port}:${port}`);
      if (name !== 'simulator') expect(prom, `prometheus must scrape ${name}:${port}`).toContain(`'${name}:${port}'`);
    });
  }
});
