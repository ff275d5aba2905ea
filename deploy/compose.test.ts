// docker-compose.yml must not rot: every service with a config schema is in it, its
// environment parses under that schema (no unknown keys, no bad values), Prometheus scrapes
// its HTTP (ops) port on the compose network without that port being published, and only the
// gateway's API is published on all interfaces (Grafana and the collector on loopback unless
// told); Redis requires a login and each service that keeps state there has its own ACL user
// (deploy/security/redis-users.json) through the env_file compose-init writes; no password is
// written in the compose file (compose-secrets.sh generates them, tested here); each service
// container holds its own Kafka principal's client properties and no other principal's (the
// kafka-clients volume, where acl-init writes every principal's, is mounted by a volume
// subpath: a broken-into gateway must not yield the tracer's or an exporter's password).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ConfigDefinition } from '../services/common/config.ts';
import { loadRedisUsers } from '../services/common/redis-acl.ts';
import { parseAclFile } from '../services/cli/admin/acl-file.ts';
import { PRINCIPAL_DIR_FILE } from '../services/cli/admin/credentials-files.ts';

const root = new URL('../', import.meta.url).pathname;
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown>; ports?: string[]; env_file?: string[] }> };
const prom = readFileSync(`${root}deploy/prometheus/prometheus.yml`, 'utf8');

const serviceDirs = readdirSync(`${root}services`).filter((d) => existsSync(`${root}services/${d}/config.ts`) && existsSync(`${root}services/${d}/main.ts`));

/** A compose volume entry, short (`source:target[:ro]`) or long form. */
interface LongMount { type?: string; source?: string; target: string; read_only?: boolean; volume?: { subpath?: string } }
function mountOf(v: string | LongMount): { source: string; target: string; readOnly: boolean; subpath?: string } {
  if (typeof v === 'string') {
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  }
  return { source: v.source ?? '', target: v.target, readOnly: v.read_only === true, subpath: v.volume?.subpath };
}

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
    expect(redis.command?.join(' ')).toMatch(/--appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 1gb/);
    expect(redis.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(all.services.registry!.image).toMatch(/apicurio-registry-sql/);
  });

  it('starts Redis with the settings of the local stack, the podman image and the tests\' Redis (AOF, its rewrite threshold, the window encodings)', () => {
    const words = (text: string) => text.replace(/["',[\]\\]/g, ' ').split(/\s+/).filter(Boolean).join(' ');
    const want = ['--appendonly yes --appendfsync everysec --auto-aof-rewrite-min-size 1gb', '--hash-max-listpack-entries 128 --hash-max-listpack-value 512 --zset-max-listpack-value 128'];
    for (const file of ['docker-compose.yml', 'deploy/local/stack.sh', 'deploy/podman/redis/Containerfile', 'test/setup/testcontainers-stack.ts']) {
      const text = words(readFileSync(`${root}${file}`, 'utf8'));
      for (const w of want) expect(text, `${file}: ${w}`).toContain(w);
    }
  });

  it('publishes only the gateway\'s API on all interfaces (never an ops port); Grafana and the collector\'s device ports on loopback unless told', () => {
    const published = Object.entries(compose.services).filter(([, svc]) => (svc.ports ?? []).length > 0).map(([name]) => name).sort();
    expect(published).toEqual(['collector', 'gateway', 'grafana']);
    expect(compose.services.gateway!.ports).toEqual(['9443:9443']);
    expect(compose.services.grafana!.ports).toEqual(['${GRAFANA_PUBLISH_ADDR:-127.0.0.1}:3000:3000']);
    for (const p of compose.services.collector!.ports!) expect(p).toMatch(/^\$\{COLLECTOR_PUBLISH_ADDR:-127\.0\.0\.1\}:\d+:\d+\/(udp|tcp)$/);
  });

  it('writes no password: PostgreSQL, the registry, the history store\'s users and Grafana read generated env files', () => {
    const text = readFileSync(`${root}docker-compose.yml`, 'utf8');
    expect(text).not.toMatch(/crosstrace:crosstrace@|PASSWORD:\s*\S/);
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(svc.environment ?? {})) expect(`${name} ${k}=${String(v)}`, 'a secret in the compose file').not.toMatch(/PASSWORD|:\/\/[^/\s]*:[^/\s]*@/);
    }
    const envFiles = (name: string) => compose.services[name]?.env_file ?? [];
    expect(envFiles('postgres')).toContain('.stack/compose/postgres/postgres.env');
    expect(envFiles('registry')).toContain('.stack/compose/postgres/registry.env');
    expect(envFiles('grafana')).toContain('.stack/compose/grafana/grafana.env');
    for (const s of ['tracer', 'archive', 'gateway']) expect(envFiles(s), `${s} reads DATABASE_URL from a generated file`).toContain('.stack/compose/postgres/database.env');
  });

  it('compose-secrets.sh (run by compose-init.sh) generates every env file compose reads from .stack/compose, 0600, kept on a second run', () => {
    const out = mkdtempSync(join(tmpdir(), 'ct-compose-'));
    try {
      const run = () => execFileSync(`${root}deploy/security/compose-secrets.sh`, [out], { stdio: ['ignore', 'ignore', 'pipe'] });
      run();
      const wanted = new Set(Object.values(compose.services).flatMap((s) => s.env_file ?? []).filter((f) => !f.startsWith('.stack/compose/redis/')));
      expect(wanted.size).toBe(4);
      const read = (f: string) => readFileSync(join(out, f.replace('.stack/compose/', '')), 'utf8');
      for (const f of wanted) {
        expect(statSync(join(out, f.replace('.stack/compose/', ''))).mode & 0o777, f).toBe(0o600);
        expect(read(f), f).toMatch(/^[A-Z_]+=\S{20,}\n$/);
      }
      const pg = readFileSync(join(out, 'postgres/password'), 'utf8');
      expect(pg).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(read('.stack/compose/postgres/database.env')).toBe(`DATABASE_URL=postgres://crosstrace:${pg}@postgres:5432/crosstrace\n`);
      expect(read('.stack/compose/postgres/postgres.env')).toBe(`POSTGRES_PASSWORD=${pg}\n`);
      const grafana = read('.stack/compose/grafana/grafana.env');
      expect(grafana).not.toContain(pg);
      run();
      expect([readFileSync(join(out, 'postgres/password'), 'utf8'), read('.stack/compose/grafana/grafana.env')]).toEqual([pg, grafana]);
      expect(readFileSync(`${root}deploy/security/compose-init.sh`, 'utf8')).toContain('deploy/security/compose-secrets.sh" "$out"');
    } finally { rmSync(out, { recursive: true, force: true }); }
  });

  it('starts Redis with the ACL users and gives each service that keeps state there its own user', () => {
    const all = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { command?: string[]; volumes?: string[]; environment?: Record<string, unknown> }> };
    expect(all.services.redis!.command?.join(' ')).toContain('--include /etc/crosstrace-redis/users.conf');
    expect(all.services.redis!.volumes).toContain('./.stack/compose/redis/users.conf:/etc/crosstrace-redis/users.conf:ro');
    for (const user of Object.keys(loadRedisUsers(`${root}deploy/security/redis-users.json`))) {
      expect(compose.services[user]?.env_file, `${user} reads its REDIS_URL from its env_file`).toContain(`.stack/compose/redis/${user}.env`);
    }
    for (const [name, svc] of Object.entries(all.services)) expect(svc.environment?.REDIS_URL, `${name} must not name a Redis login in the compose file`).toBeUndefined();
  });

  it('gives each service its own Kafka credentials and no one else\'s: only acl-init (the admin) mounts every principal\'s client properties', () => {
    const all = parse(readFileSync(`${root}docker-compose.yml`, 'utf8'), { merge: true }) as { services: Record<string, { environment?: Record<string, unknown>; volumes?: (string | LongMount)[]; entrypoint?: string[] }> };
    const principals = Object.keys(parseAclFile(JSON.parse(readFileSync(`${root}deploy/security/acls.json`, 'utf8')) as unknown).services);
    // host files that hold a secret, and who may mount them (kafka/ holds the broker's key and the admin's SCRAM password)
    const hostSecrets: Record<string, string[]> = {
      './.stack/compose/kafka': ['kafka', 'acl-init'], './.stack/compose/admin.properties': ['acl-init'],
      './.stack/compose/redis/users.conf': ['redis'], './.stack/compose/gateway': ['gateway'],
    };
    let clients = 0;
    for (const [name, svc] of Object.entries(all.services)) {
      const mounts = (svc.volumes ?? []).map(mountOf);
      for (const m of mounts) {
        if (m.source.startsWith('./.stack')) {
          expect(m.source === './.stack/compose/kafka/ca.pem' || hostSecrets[m.source]?.includes(name), `${name} mounts ${m.source}`).toBe(true);
        }
        if (m.source !== 'kafka-clients' || name === 'acl-init') continue;
        // the volume holds every principal's password: a service mounts its own folder only, read-only
        expect(m.subpath, `${name} mounts the whole kafka-clients volume (every principal's password)`).toBe(name);
        expect(principals, `${name} is a principal of deploy/security/acls.json`).toContain(name);
        expect(m.readOnly, `${name}: its credentials read-only`).toBe(true);
        expect(svc.environment?.KAFKA_CLIENT_PROPERTIES, `${name} reads the client properties of its own folder`).toBe(`${m.target}/${PRINCIPAL_DIR_FILE}`);
        clients++;
      }
      if (svc.environment?.KAFKA_CLIENT_PROPERTIES !== undefined && name !== 'acl-init') {
        expect(mounts.filter((m) => m.source === 'kafka-clients'), `${name}: its own credentials, one mount`).toHaveLength(1);
      }
    }
    expect(clients).toBe(principals.length);
    expect(all.services['acl-init']!.entrypoint?.join(' ')).toMatch(/acl apply --credentials-dir \/kafka-clients --principal-dirs/);
  });

  it('runs the services with the memory settings the local services run with (deploy/local/node-memory.sh, measured in issue 14)', () => {
    const local = execFileSync('bash', ['-c', '. deploy/local/node-memory.sh; printf "%s\\n" "$MALLOC_ARENA_MAX" "$MALLOC_MMAP_THRESHOLD_" "$NODE_OPTIONS" "$CROSSTRACE_HEAP_GROWING_PERCENT"'],
      { cwd: root, env: { PATH: process.env.PATH }, encoding: 'utf8' }).trim().split('\n');
    const env = Object.fromEntries([...readFileSync(`${root}Dockerfile`, 'utf8').matchAll(/^ENV (.+)$/gm)].flatMap((m) => m[1]!.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const)));
    expect([env.MALLOC_ARENA_MAX, env.MALLOC_MMAP_THRESHOLD_, env.NODE_OPTIONS, env.CROSSTRACE_HEAP_GROWING_PERCENT]).toEqual(local);
  });

  it('has every service that has a config schema', () => {
    expect(serviceDirs.length).toBeGreaterThanOrEqual(3);
    for (const s of serviceDirs) expect(Object.keys(compose.services), `service ${s} missing from docker-compose.yml`).toContain(s);
  });

  for (const name of serviceDirs) {
    it(`${name}: environment parses under its config schema; the ops port is scraped on the compose network, never published`, async () => {
      const def = await definitionOf(name);
      const svc = compose.services[name];
      if (!svc) throw new Error(`no compose service ${name}`);
      const env = Object.fromEntries(Object.entries(svc.environment ?? {}).filter(([k]) => k !== 'SERVICE').map(([k, v]) => [k, String(v)]));
      for (const k of Object.keys(env)) expect(Object.keys(def.spec), `${name}: ${k} is not a key of its config`).toContain(k);
      const cfg = def.parse(env) as Record<string, unknown>;
      const portKey = Object.keys(def.spec).find((k) => k.endsWith('_HTTP_PORT'));
      if (!portKey) throw new Error(`${name} has no *_HTTP_PORT setting`);
      const port = String(cfg[portKey]);
      expect((svc.ports ?? []).some((p) => p.endsWith(`:${port}`) || p.includes(`:${port}/`)), `${name} must not publish its ops port ${port}`).toBe(false);
      expect(cfg.CROSSTRACE_OPS_HOST, `${name}: ops port on the compose network`).toBe('0.0.0.0');
      if (name !== 'simulator') expect(prom, `prometheus must scrape ${name}:${port}`).toContain(`'${name}:${port}'`);
    });
  }
});
