import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { aclDiff, bindingsOf, managedPrincipals, parseAclFile, partnerPrincipal, staleExporterPrincipals } from './acl-file.ts';

const repoFile = parseAclFile(JSON.parse(readFileSync('deploy/security/acls.json', 'utf8')));

describe('ACL file', () => {
  it('names the exporter principals on the broker that the registry no longer lists, and nothing else', () => {
    const managed = new Set(['ingest', 'exporter-fr-cgn-1']);
    const onBroker = ['exporter-fr-cgn-1', 'exporter-nl-aaa-1', 'ingest', 'partner-FR', 'partner-FR.c0a1', 'tracer'];
    expect(staleExporterPrincipals(onBroker, managed)).toEqual(['exporter-nl-aaa-1']);
    expect(staleExporterPrincipals(['exporter-fr-cgn-1'], managed)).toEqual([]);
  });
  it('gives a partner Read on its own topic and group prefix only', () => {
    const b = bindingsOf(partnerPrincipal('FR'), repoFile.roles.partner, 'FR');
    const topics = b.filter((x) => x.resource === 'topic');
    expect(topics.every((x) => x.operation === 'Read' && x.pattern === 'literal')).toBe(true);
    expect(topics.map((x) => x.name)).toContain('trace.updates.FR');
    expect(topics.map((x) => x.name).filter((n) => n.startsWith('trace.updates'))).toEqual(['trace.updates.FR']);
    expect(b.filter((x) => x.resource === 'group')).toMatchObject([{ name: 'partner-FR-', pattern: 'prefixed', operation: 'Read' }]);
  });

  it('lets an exporter write its own raw topics and nothing else: bound to its own exporter id', () => {
    const all = managedPrincipals(repoFile, [{ exporterId: 'fr-cgn-1', providerId: 'fr-telecom' }, { exporterId: 'fr-cgn-2', providerId: 'fr-telecom' }]);
    const of = (id: string) => (all.get(`exporter-${id}`) ?? []).map((x) => `${x.operation} ${x.pattern} ${x.name}`).sort();
    expect(of('fr-cgn-1')).toEqual(['Write literal flows.raw.fr-telecom.fr-cgn-1', 'Write literal sessions.raw.fr-telecom.fr-cgn-1']);
    // another exporter of the same provider gets its own topics, not its sibling's
    expect(of('fr-cgn-2')).toEqual(['Write literal flows.raw.fr-telecom.fr-cgn-2', 'Write literal sessions.raw.fr-telecom.fr-cgn-2']);
    // ids that make no topic segment (a provider id with a dot: the topic could not be read back) are refused
    expect(() => managedPrincipals(repoFile, [{ exporterId: 'x-1', providerId: 'fr.telecom' }])).toThrow(/do not make a topic name/);
  });

  it('gives no service Read on another jurisdiction feed except the gateway, and nobody registry.providers writes', () => {
    const principals = managedPrincipals(repoFile, []);
    for (const [name, bindings] of principals) {
      expect(bindings.some((x) => x.name === 'registry.providers' && x.operation !== 'Read'), name).toBe(false);
      if (name !== 'gateway') expect(bindings.some((x) => x.name.startsWith('trace.updates.') && x.operation === 'Read'), name).toBe(false);
    }
  });

  it('refuses unknown keys, operations and {CC} outside the partner role, naming where', () => {
    const bad = { services: { ingest: [{ resource: 'topic', names: ['trace.updates.{CC}'], ops: ['Reed'], extra: 1 }] }, exporters: { rules: [], fromProvidersFile: 'x' }, roles: { partner: [] } };
    expect(() => parseAclFile(bad, 'f.json')).toThrow(/f\.json\.services\.ingest\[0\]\.extra: unknown key[\s\S]*Reed is not one of[\s\S]*\{CC\} may appear in roles\.partner only/);
    expect(() => parseAclFile({ ...bad, services: { admin: [] } }, 'f.json')).toThrow(/services\.admin: a service principal/);
    // an exporter's rules name its own provider's topics only
    const shared = { ...bad, services: {}, exporters: { rules: [{ resource: 'topic', names: ['flows.raw'], ops: ['Write'] }], fromProvidersFile: 'x' } };
    expect(() => parseAclFile(shared, 'f.json')).toThrow(/exporters\.rules: every name must use \{provider\} and \{exporter\}/);
    // a provider-wide topic would let an exporter speak for its siblings
    const providerWide = { ...shared, exporters: { rules: [{ resource: 'topic', names: ['flows.raw.{provider}'], ops: ['Write'] }], fromProvidersFile: 'x' } };
    expect(() => parseAclFile(providerWide, 'f.json')).toThrow(/exporters\.rules: every name must use \{provider\} and \{exporter\}/);
  });

  it('diffs by key: creates what is missing, deletes what is extra', () => {
    const wanted = bindingsOf('x', [{ resource: 'topic', names: ['a', 'b'], pattern: 'literal', ops: ['Read'] }]);
    const current = bindingsOf('x', [{ resource: 'topic', names: ['b', 'c'], pattern: 'literal', ops: ['Read'] }]);
    const d = aclDiff(wanted, current);
    expect(d.create.map((b) => b.name)).toEqual(['a']);
    expect(d.remove.map((b) => b.name)).toEqual(['c']);
  });
});
