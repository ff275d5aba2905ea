// Every record scenario, replayed in memory through the pure stages (record-replay.ts):
// the chain settles where the ground truth says, no wrong subscriber is decided, no record
// is refused, and the reverse produce order gives the same answer.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createProviderDirectory, loadProvidersFile } from '../../../services/common/provider-directory.ts';
import { judge } from '../../../services/simulator/record-judge.ts';
import { replay } from '../../../services/simulator/record-replay.ts';
import type { RecordScenario } from '../../../services/simulator/record-scenario.ts';

const here = new URL('./', import.meta.url).pathname;
const dir = createProviderDirectory(loadProvidersFile(`${here}../../providers.json`));
const files = readdirSync(here).filter((f) => f.endsWith('.json')).sort();
const load = (f: string) => JSON.parse(readFileSync(`${here}${f}`, 'utf8')) as RecordScenario;
const NOW = Date.UTC(2026, 11, 1, 12);

describe('record scenarios (deploy/scenarios/records), replayed in memory', () => {
  it('covers every failure class of issue 10, and the provider practices written since', () => {
    expect(new Set(files.map((f) => load(f).class))).toEqual(new Set([
      'overlapping-prefixes', 'hosting-relay', 'hosting-relay-owner', 'single-record-flows', 'long-sessions', 'lost-stops', 'same-ms-starts', 'out-of-order',
      'partial-window', 'contradicting-records', 'relay-tie', 'stale-sessions',
      // from RFC 2866 / 8158 / 6888 / 4787 / 5382 logging practice
      'nas-reboot', 'radius-timing', 'create-only-logs', 'port-block-events', 'ipv6-delegation', 'retention-practice', 'syslog-and-ipfix', 'clock-skew',
      // session 5: RFC 2866 Accounting-On/Off and re-addressing, RFC 6333 DS-Lite, RFC 7422 boundaries, mobile, VPN and DHCP practice
      'nas-restart', 'interim-readdress', 'same-ms-session-id', 'dslite', 'mobile-address-reuse', 'vpn-shared-exit', 'deterministic-nat', 'dhcp-lease', 'ipv6-privacy',
      // session 19's red team: RFC 4555 MOBIKE and VPN session ids counted again, RFC 6302 port-less logs on a CGN
      'vpn-client-moves', 'portless-observation',
      // session 20's red team: RFC 4787/5382 port spaces per protocol (and tunnels beneath VPNs and
      // relays), RFC 6146 NAT64 / 464XLAT, address sharing (hairpin, MAP port sets, several
      // blocks), Stops that leave out what their Start named (RFC 2866 5.13, VPN disconnects)
      'protocol-port-spaces', 'nat64', 'address-sharing', 'stop-fields',
    ]));
  });
  it('no two scenarios share an address (bench/record-accuracy runs them all on one window store: shared records would be evidence in both)', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const f of files) {
      const s = load(f);
      const addrs = new Set([s.request.src, ...s.sessions.flatMap((r) => [r.framedIpAddress, r.outsideAddr, r.insideAddr, r.framedIpv6Prefix, r.delegatedIpv6Prefix]),
        ...s.flows.flatMap((x) => [x.src, x.dst]), s.relayTraffic?.relay, s.relayTraffic?.source, s.relayTraffic?.decoy?.source]);
      for (const a of addrs) {
        if (a === undefined || a === null || a === s.request.dst) continue;
        const o = owner.get(a);
        if (o !== undefined && o !== f) clashes.push(`${a}: ${o} and ${f}`);
        owner.set(a, f);
      }
    }
    expect(clashes).toEqual([]);
  });
  it.each(files)('%s settles as its ground truth says', (f) => {
    const s = load(f);
    const r = replay(s, dir, NOW);
    expect(r.rejected).toEqual([]);
    const v = judge(s, r.hops, r.status);
    expect(v.problems).toEqual([]);
    expect(v.wrongDecidedSubscriber).toBeNull();
  });
  it.each(files)('%s gives the same answer with the records produced in reverse', (f) => {
    const s = load(f);
    const a = replay(s, dir, NOW);
    const b = replay(s, dir, NOW, (m) => [...m.ordered].reverse());
    const key = (hs: typeof a.hops) => hs.map((h) => `${h.method} ${h.observedAddr} ${h.leadsToAddr} ${h.subscriberHandle} ${h.rank} ${h.confidence}`).sort();
    expect([b.status, key(b.hops)]).toEqual([a.status, key(a.hops)]);
  });
});
