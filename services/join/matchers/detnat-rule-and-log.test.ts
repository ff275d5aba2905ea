// A provider that publishes an RFC 7422 deterministic NAT rule AND exports NAT logs
// (jp-mobile in deploy/providers.json does both: jp-cgn-1 is a `nat` exporter). When a log
// record and the published rule name different inside hosts for the same ip:port at the
// observed time, both are evidence. join.ts resolveLookup consults the rule only when the
// session matcher finds nothing, so any matching log record silences the rule.
//
// Real-world basis: the move from dynamic NAT with per-session logging to deterministic NAT
// (RFC 7422: the operator records when the algorithm's parameters change; the rule's
// validFrom here). A create-only session log (RFC 8158 natEvent 4, no delete logged, as many
// CGNs are configured to cut log volume) from before the change: the mapping may have been
// flushed at the change (then the rule's host is the sender) or kept (vendors apply new NAT
// rules to new flows only; then the port was claimed twice). Either way the log's host cannot
// be decided alone.
import { describe, expect, it } from 'vitest';
import { createProviderDirectory, loadProvidersFile } from '../../common/provider-directory.ts';
import { DEFAULT_JOIN_SETTINGS, resolveLookup } from '../join.ts';
import { deterministicNatForward } from './deterministic-nat.ts';
import { matchSessions } from './session-match.ts';
import { T, lookup, rec } from './session-record.fixture.ts';

const M = 60_000;
const providers = loadProvidersFile(new URL('../../../deploy/providers.json', import.meta.url).pathname);
const jp = providers.find((p) => p.providerId === 'jp-mobile')!;
// jp-mobile's rule, in force from 10 minutes before the observation
const rule = { ...jp.deterministicNat[0]!, validFrom: T - 10 * M };
const dir = createProviderDirectory(providers.map((p) => (p.providerId === 'jp-mobile' ? { ...p, deterministicNat: [rule] } : p)));
const RULE_HOST = '10.64.1.2';
const { outsideAddr, portLo } = deterministicNatForward(rule, RULE_HOST);
const port = portLo + 5;
const matchSessionsConfidence = (l: ReturnType<typeof lookup>, evs: ReturnType<typeof rec>[]) => matchSessions(l, evs, dir, DEFAULT_JOIN_SETTINGS)[0]!.confidence;

describe('a deterministic NAT rule and a NAT log that disagree', () => {
  it('a create-only NAT44 session log from before the rule came into force does not silence the rule', () => {
    const logged = rec({
      exporterId: 'jp-cgn-1', providerId: 'jp-mobile', jurisdiction: 'JP', natEvent: 4, eventTime: T - 30 * M,
      outsideAddr, outsidePort: port, protocol: 6, insideAddr: '10.64.9.9', insidePort: 50000,
    });
    const l = lookup({ addr: outsideAddr, port, windowFrom: T - 2000, windowTo: T + 2000 });
    // control: the rule alone names its host
    expect(resolveLookup(l, [], dir, DEFAULT_JOIN_SETTINGS).map((h) => [h.leadsToAddr, h.confidence])).toEqual([[RULE_HOST, 1]]);
    const hops = resolveLookup(l, [logged], dir, DEFAULT_JOIN_SETTINGS);
    expect(hops.filter((h) => h.confidence >= 0.9)).toEqual([]);
    expect(hops.map((h) => [h.leadsToAddr, h.method, h.confidence]).sort()).toEqual([['10.64.1.2', 'DETERMINISTIC_NAT', 0.5], ['10.64.9.9', 'NAT_LOG', 0.5]]);
    expect(RULE_HOST).toBe('10.64.1.2');
  });

  it('another host\'s mapping on the rule\'s port, even one only reaching into the tolerance edge, keeps the rule\'s host undecided; one that covers part of the window and agrees adds to it', () => {
    const l = lookup({ addr: outsideAddr, port, windowFrom: T - 2000, windowTo: T + 2000 });
    const nat = (insideAddr: string, o: Record<string, unknown>) => rec({
      exporterId: 'jp-cgn-1', providerId: 'jp-mobile', jurisdiction: 'JP', natEvent: 4, eventTime: T - 5 * M,
      outsideAddr, outsidePort: port, protocol: 6, insideAddr, insidePort: 50000, ...o,
    });
    // another host's mapping made under the rule, deleted 3.5 s before the observation (the
    // widened window begins 4 s before): the gateway did not map that port as the rule says
    const edge = resolveLookup(l, [nat('10.64.9.9', {}), nat('10.64.9.9', { action: 'STOP', natEvent: 5, eventTime: T - 3500 })], dir, DEFAULT_JOIN_SETTINGS);
    expect(edge.map((h) => [h.leadsToAddr, h.confidence])).toEqual([[RULE_HOST, 0.5], ['10.64.9.9', 0.025]]);
    // the rule's own host, mapped from 1 s before the observation: the log alone is not sure of it, with the rule it is
    const late = [nat(RULE_HOST, { eventTime: T - 1000 })];
    expect(matchSessionsConfidence(l, late)).toBeLessThan(0.9);
    expect(resolveLookup(l, late, dir, DEFAULT_JOIN_SETTINGS).map((h) => [h.method, h.leadsToAddr, h.confidence])).toEqual([['NAT_LOG', RULE_HOST, 1]]);
  });

  it('a NAT log that names the rule\'s own host answers alone, as before', () => {
    const logged = rec({
      exporterId: 'jp-cgn-1', providerId: 'jp-mobile', jurisdiction: 'JP', natEvent: 4, eventTime: T - 30 * M,
      outsideAddr, outsidePort: port, protocol: 6, insideAddr: RULE_HOST, insidePort: 50000,
    });
    const l = lookup({ addr: outsideAddr, port, windowFrom: T - 2000, windowTo: T + 2000 });
    expect(resolveLookup(l, [logged], dir, DEFAULT_JOIN_SETTINGS).map((h) => [h.method, h.leadsToAddr, h.leadsToPort, h.confidence])).toEqual([['NAT_LOG', RULE_HOST, 50000, 1]]);
  });

  it('the rule\'s host logged on two inside ports in the window: the host is the rule\'s, the port undecided (no two hops at 1)', () => {
    const l = lookup({ addr: outsideAddr, port, windowFrom: T - 2000, windowTo: T + 2000 });
    const nat = (o: Record<string, unknown>) => rec({ exporterId: 'jp-cgn-1', providerId: 'jp-mobile', jurisdiction: 'JP', natEvent: 4, outsideAddr, outsidePort: port, protocol: 6, insideAddr: RULE_HOST, ...o });
    const evs = [nat({ eventTime: T - 5 * M, insidePort: 50000 }), nat({ eventTime: T, action: 'STOP', natEvent: 5, insidePort: 50000 }), nat({ eventTime: T, insidePort: 50001 })];
    const hops = resolveLookup(l, evs, dir, DEFAULT_JOIN_SETTINGS);
    expect(hops.map((h) => [h.leadsToAddr, h.leadsToPort, h.confidence]).sort()).toEqual([[RULE_HOST, 50000, 0.5], [RULE_HOST, 50001, 0.5]]);
  });

  it('a rule that only reaches into the tolerance edge leaves a mapping that covers the window decided', () => {
    const edgeRule = { ...jp.deterministicNat[0]!, validFrom: T + 3500 };
    const dir2 = createProviderDirectory(providers.map((p) => (p.providerId === 'jp-mobile' ? { ...p, deterministicNat: [edgeRule] } : p)));
    const { outsideAddr: a2, portLo: p2 } = deterministicNatForward(edgeRule, RULE_HOST);
    const l = lookup({ addr: a2, port: p2 + 5, windowFrom: T - 2000, windowTo: T + 2000 });
    const nat = (o: Record<string, unknown>) => rec({ exporterId: 'jp-cgn-1', providerId: 'jp-mobile', jurisdiction: 'JP', natEvent: 4, outsideAddr: a2, outsidePort: p2 + 5, protocol: 6, insideAddr: '10.64.9.9', insidePort: 50000, ...o });
    const hops = resolveLookup(l, [nat({ eventTime: T - 5 * M }), nat({ eventTime: T + 5 * M, action: 'STOP', natEvent: 5 })], dir2, DEFAULT_JOIN_SETTINGS);
    expect(hops.map((h) => [h.leadsToAddr, h.confidence >= 0.9])).toEqual([['10.64.9.9', true], [RULE_HOST, false]]);
  });
});
