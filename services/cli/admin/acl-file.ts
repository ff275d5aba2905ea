// The ACL file (deploy/security/acls.json) as bindings: what each principal may do, with no
// Kafka client involved. Contract: every problem in the file is reported with its path in
// the file (unknown keys, resource types and operations are refused, nothing is guessed);
// a binding is a plain value whose `key` identifies it, so two sets of bindings compare by key.
import { hasOwnRawTopics, type ExporterOf } from '../../common/topics.ts';

export type { ExporterOf };

export const RESOURCES = { topic: 'TOPIC', group: 'GROUP', 'transactional-id': 'TRANSACTIONAL_ID', cluster: 'CLUSTER' } as const;
export type ResourceName = keyof typeof RESOURCES;
export const OPERATIONS = ['Read', 'Write', 'Create', 'Delete', 'Alter', 'Describe', 'DescribeConfigs', 'AlterConfigs', 'IdempotentWrite'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface Binding {
  principal: string;
  resource: ResourceName;
  name: string;
  pattern: 'literal' | 'prefixed';
  operation: Operation;
  /** `principal|resource|pattern|name|operation`: identifies the binding. */
  key: string;
}

export interface AclRule { resource: ResourceName; names: string[]; pattern: 'literal' | 'prefixed'; ops: Operation[] }

export interface AclFile {
  /** service name -> its rules; the principal is the service name. */
  services: Record<string, AclRule[]>;
  exporters: { rules: AclRule[]; fromProvidersFile: string };
  roles: { partner: AclRule[] };
}

const PRINCIPAL = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const partnerPrincipal = (cc: string): string => `partner-${cc}`;
export const exporterPrincipal = (exporterId: string): string => `exporter-${exporterId}`;

/** Exporter principals the broker still has bindings for that the registry no longer lists
 *  (`managed`: the principals acl apply brings to the file): an exporter removed from
 *  providers.json must lose its rights and credentials, not keep them because nothing manages it. */
export const staleExporterPrincipals = (onBroker: readonly string[], managed: ReadonlySet<string>): string[] =>
  onBroker.filter((p) => p.startsWith(exporterPrincipal('')) && !managed.has(p));

function only(obj: unknown, where: string, allowed: string[], problems: string[]): obj is Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) { problems.push(`${where}: must be an object`); return false; }
  for (const k of Object.keys(obj)) if (!allowed.includes(k) && k !== '$comment') problems.push(`${where}.${k}: unknown key (known: ${allowed.join(', ')})`);
  return true;
}

function parseRules(raw: unknown, where: string, problems: string[]): AclRule[] {
  if (!Array.isArray(raw)) { problems.push(`${where}: must be an array of rules`); return []; }
  return raw.flatMap((r, i): AclRule[] => {
    const at = `${where}[${i}]`;
    if (!only(r, at, ['resource', 'names', 'pattern', 'ops'], problems)) return [];
    const resource = r.resource as ResourceName;
    if (!(resource in RESOURCES)) problems.push(`${at}.resource: ${String(r.resource)} is not one of ${Object.keys(RESOURCES).join(', ')}`);
    const pattern = (r.pattern ?? 'literal') as AclRule['pattern'];
    if (pattern !== 'literal' && pattern !== 'prefixed') problems.push(`${at}.pattern: must be literal or prefixed`);
    const names = Array.isArray(r.names) && r.names.every((n) => typeof n === 'string' && n !== '') ? (r.names as string[]) : [];
    if (names.length === 0) problems.push(`${at}.names: must list at least one non-empty name`);
    if (resource === 'cluster' && names.some((n) => n !== 'kafka-cluster')) problems.push(`${at}.names: the cluster resource is named kafka-cluster`);
    const ops = Array.isArray(r.ops) ? (r.ops as Operation[]) : [];
    if (ops.length === 0) problems.push(`${at}.ops: must list at least one operation`);
    for (const op of ops) if (!OPERATIONS.includes(op)) problems.push(`${at}.ops: ${String(op)} is not one of ${OPERATIONS.join(', ')}`);
    return [{ resource, names, pattern, ops }];
  });
}

/** Parses and checks the file's JSON; throws one Error listing every problem. */
export function parseAclFile(json: unknown, source = 'acls.json'): AclFile {
  const problems: string[] = [];
  const out: AclFile = { services: {}, exporters: { rules: [], fromProvidersFile: '' }, roles: { partner: [] } };
  if (only(json, source, ['services', 'exporters', 'roles'], problems)) {
    if (only(json.services, `${source}.services`, Object.keys((json.services as object | null) ?? {}), problems)) {
      for (const [name, rules] of Object.entries(json.services)) {
        if (!PRINCIPAL.test(name) || name === 'admin' || name === 'broker' || name.startsWith('partner-') || name.startsWith('exporter-')) {
          problems.push(`${source}.services.${name}: a service principal is lower-case [a-z0-9._-], and not admin, broker, partner-* or exporter-*`);
        }
        out.services[name] = parseRules(rules, `${source}.services.${name}`, problems);
      }
    }
    if (only(json.exporters, `${source}.exporters`, ['rules', 'fromProvidersFile'], problems)) {
      out.exporters.rules = parseRules(json.exporters.rules, `${source}.exporters.rules`, problems);
      if (typeof json.exporters.fromProvidersFile !== 'string') problems.push(`${source}.exporters.fromProvidersFile: must name the providers file`);
      else out.exporters.fromProvidersFile = json.exporters.fromProvidersFile;
    }
    if (only(json.roles, `${source}.roles`, ['partner'], problems)) {
      out.roles.partner = parseRules(json.roles.partner, `${source}.roles.partner`, problems);
      if (!out.roles.partner.some((r) => r.names.some((n) => n.includes('{CC}')))) problems.push(`${source}.roles.partner: no name uses {CC}; a partner's rules must be its own`);
    }
  }
  const templated = JSON.stringify({ s: out.services, e: out.exporters.rules });
  if (templated.includes('{CC}')) problems.push(`${source}: {CC} may appear in roles.partner only`);
  if (/\{provider\}|\{exporter\}/.test(JSON.stringify({ s: out.services, p: out.roles.partner }))) problems.push(`${source}: {provider} and {exporter} may appear in exporters.rules only`);
  // an exporter speaks for itself only: every name it gets is its own (literal), and says both its
  // provider and its exporter id, which is what ingest reads off the topic
  if (out.exporters.rules.some((r) => r.pattern !== 'literal' || r.names.some((n) => !n.includes('{provider}') || !n.includes('{exporter}')))) {
    problems.push(`${source}.exporters.rules: every name must use {provider} and {exporter} (literal): an exporter writes its own topics only`);
  }
  if (problems.length > 0) throw new Error(`invalid ACL file:\n  - ${problems.join('\n  - ')}`);
  return out;
}

/** The bindings of one principal: every rule x name x operation, {CC} replaced by `cc`. */
export function bindingsOf(principal: string, rules: AclRule[], cc?: string): Binding[] {
  const out = new Map<string, Binding>();
  for (const r of rules) {
    for (const raw of r.names) {
      const name = cc === undefined ? raw : raw.replaceAll('{CC}', cc);
      for (const operation of r.ops) {
        const key = `${principal}|${r.resource}|${r.pattern}|${name}|${operation}`;
        out.set(key, { principal, resource: r.resource, name, pattern: r.pattern, operation, key });
      }
    }
  }
  return [...out.values()];
}

/** Every principal the file manages (services and exporters) with its bindings. Principal
 *  exporter-<id> is bound to the exporter id <id> alone: its rules have {exporter} replaced by that
 *  id and {provider} by its provider's id (deploy/providers.json), so it writes its own raw topics
 *  and ingest refuses there any record naming another exporter. */
export function managedPrincipals(file: AclFile, exporters: ExporterOf[]): Map<string, Binding[]> {
  const out = new Map<string, Binding[]>();
  for (const [svc, rules] of Object.entries(file.services)) out.set(svc, bindingsOf(svc, rules));
  for (const e of exporters) {
    const { exporterId: id, providerId } = e;
    if (!PRINCIPAL.test(exporterPrincipal(id))) throw new Error(`exporter id ${JSON.stringify(id)} does not make a valid principal name`);
    if (!hasOwnRawTopics(e)) throw new Error(`exporter ${JSON.stringify(id)} of provider ${JSON.stringify(providerId)}: the ids do not make a topic name (provider [A-Za-z0-9_-], exporter [A-Za-z0-9._-])`);
    const rules = file.exporters.rules.map((r) => ({ ...r, names: r.names.map((n) => n.replaceAll('{provider}', providerId).replaceAll('{exporter}', id)) }));
    out.set(exporterPrincipal(id), bindingsOf(exporterPrincipal(id), rules));
  }
  return out;
}

/** What to create and what to delete to go from `current` to `wanted` (compared by key). */
export function aclDiff(wanted: Binding[], current: Binding[]): { create: Binding[]; remove: Binding[] } {
  const w = new Set(wanted.map((b) => b.key));
  const c = new Set(current.map((b) => b.key));
  return { create: wanted.filter((b) => !c.has(b.key)), remove: current.filter((b) => !w.has(b.key)) };
}
