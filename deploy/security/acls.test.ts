// The services that rebuild Redis from Kafka may do it as their own principals: make chaos found
// the correlator's automatic rebuild after a FLUSHALL refused ("Group authorization failed":
// the throwaway replay group was no service's), and the tracer could not read trace.state, the
// chains it rebuilds from. The integration tests run as the admin and never saw it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { managedPrincipals, parseAclFile, type Binding } from '../../services/cli/admin/acl-file.ts';
import { replayGroupId } from '../../services/common/topic-replay.ts';
import { TOPICS } from '../../services/common/topics.ts';

const principals = managedPrincipals(parseAclFile(JSON.parse(readFileSync(new URL('./acls.json', import.meta.url), 'utf8'))), []);
const allows = (b: Binding[], resource: string, name: string, op: string): boolean =>
  b.some((x) => x.resource === resource && x.operation === op && (x.pattern === 'prefixed' ? name.startsWith(x.name) : x.name === name));

describe('acls.json: a rebuild of Redis from Kafka as the service itself', () => {
  it.each([
    ['correlator', [TOPICS.flowsNorm, TOPICS.sessionsNorm]],
    ['tracer', [TOPICS.traceState, TOPICS.traceRequests]],
  ])('%s reads what it replays, in a replay group it may join and delete', (service, topics) => {
    const b = principals.get(service) ?? [];
    const group = replayGroupId();
    expect(topics.filter((t) => !allows(b, 'topic', t, 'Read')), 'topics it cannot read').toEqual([]);
    expect(['Read', 'Delete'].filter((op) => !allows(b, 'group', group, op)), `operations refused on ${group}`).toEqual([]);
  });
});

describe('acls.json: least privilege (security review 5)', () => {
  it('the gateway reads trace.requests, trace.state, audit.disclosures and each trace.updates.<CC> (services/gateway/follower.ts), no per-audience audit feed', () => {
    const b = principals.get('gateway') ?? [];
    const reads = [TOPICS.traceRequests, TOPICS.traceState, TOPICS.audit, 'trace.updates.FR', 'audit.disclosures.FR', TOPICS.traceUpdates, TOPICS.providers]
      .filter((t) => allows(b, 'topic', t, 'Read'));
    expect(reads).toEqual([TOPICS.traceRequests, TOPICS.traceState, TOPICS.audit, 'trace.updates.FR']);
  });
});
