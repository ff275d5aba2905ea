// Fuzz: 1,000,000 random and mutated IPFIX / NetFlow v9 / RADIUS packets through the pure
// decoders. None may throw; every packet ends decoded (its records all mapped, ignored or
// dead-lettered), buffered, or dead-lettered with a reason; every RADIUS datagram gets one
// of the five outcomes. Deterministic (seeded), so a failure replays.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createFlowCollector, type FlowOutcome } from './flow-collector.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, ipfixWithdrawalSet, record, v9Packet, v9TemplateSet, type WriterTemplate } from './export-writer.ts';
import { createRadiusCollector } from './radius-collector.ts';
import { accountingRequest } from './radius-packet.ts';

const PACKETS = Number(process.env.CROSSTRACE_FUZZ_PACKETS ?? 1_000_000);

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

const T = Date.UTC(2026, 11, 1) / 1000;
const FLOW: WriterTemplate = { id: 256, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 7, length: 2 }, { id: 11, length: 2 }, { id: 4, length: 1 }, { id: 1, length: 8 }, { id: 2, length: 8 }, { id: 152, length: 8 }, { id: 153, length: 8 }, { id: 136, length: 1 }] };
const VAR: WriterTemplate = { id: 257, fields: [{ id: 27, length: 16 }, { id: 28, length: 16 }, { id: 82, length: 65535 }, { id: 9, length: 65535, enterprise: 1234 }, { id: 4, length: 1 }, { id: 22, length: 4 }, { id: 21, length: 4 }] };
const NAT: WriterTemplate = { id: 258, fields: [{ id: 323, length: 8 }, { id: 230, length: 1 }, { id: 8, length: 4 }, { id: 225, length: 4 }, { id: 361, length: 2 }, { id: 362, length: 2 }] };
const OPT: WriterTemplate = { id: 259, scopeCount: 1, fields: [{ id: 149, length: 4 }, { id: 160, length: 8 }] };
const SEEDS_IPFIX = [
  ipfixMessage({ exportSec: T, sequence: 1, domain: 1 }, [ipfixTemplateSet([FLOW, VAR, NAT]), ipfixTemplateSet([OPT], true), dataSet(259, [record(OPT, [1, BigInt(T * 1000)])])]),
  ipfixMessage({ exportSec: T, sequence: 2, domain: 1 }, [dataSet(256, [record(FLOW, ['10.0.0.1', '10.0.0.2', 1, 2, 6, 100, 2, BigInt(T * 1000), BigInt(T * 1000 + 5), 1]), record(FLOW, ['10.0.0.3', '10.0.0.4', 1, 2, 17, 100, 2, BigInt(T * 1000), BigInt(T * 1000), 3])])]),
  ipfixMessage({ exportSec: T, sequence: 3, domain: 1 }, [dataSet(257, [record(VAR, ['2001:db8::1', '2001:db8::2', Buffer.from('eth0'), Buffer.alloc(260, 1), 17, 10, 20])])]),
  ipfixMessage({ exportSec: T, sequence: 4, domain: 1 }, [dataSet(258, [record(NAT, [BigInt(T * 1000), 16, '100.64.0.1', '198.51.100.1', 1024, 2047]), record(NAT, [BigInt(T * 1000), 4, '100.64.0.1', '198.51.100.1', 0, 0])])]),
  ipfixMessage({ exportSec: T, sequence: 5, domain: 1 }, [ipfixWithdrawalSet([256, 2])]),
];
const V9T: WriterTemplate = { id: 300, fields: [{ id: 8, length: 4 }, { id: 12, length: 4 }, { id: 4, length: 1 }, { id: 1, length: 4 }, { id: 2, length: 4 }, { id: 22, length: 4 }, { id: 21, length: 4 }] };
const SEEDS_V9 = [
  v9Packet({ sysUptimeMs: 100_000, unixSecs: T, sequence: 1, sourceId: 3, count: 2 }, [v9TemplateSet([V9T]), dataSet(300, [record(V9T, ['10.1.1.1', '10.2.2.2', 6, 1000, 3, 90_000, 95_000])])]),
  v9Packet({ sysUptimeMs: 100_000, unixSecs: T, sequence: 2, sourceId: 3, count: 1 }, [dataSet(300, [record(V9T, ['10.1.1.1', '10.2.2.2', 17, 1, 1, 2 ** 32 - 1, 5])])]),
];
const SECRET = Buffer.from('s3cret');
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
const SEEDS_RADIUS = [1, 2, 3, 7].map((st, i) => accountingRequest(i, [
  { type: 40, value: u32(st) }, { type: 44, value: Buffer.from(`s${i}`) }, { type: 1, value: Buffer.from('u') }, { type: 41, value: u32(2) },
  { type: 8, value: Buffer.from([100, 64, 0, i]) }, { type: 97, value: Buffer.from([0, 64, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 1]) }, { type: 123, value: Buffer.from([0, 56, 0x20, 1, 0xd, 0xb8, 0, 0, 1]) },
], SECRET));

function mutate(seed: Buffer, r: () => number): Buffer {
  const b = Buffer.from(seed);
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const what = r();
    if (what < 0.5) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
    else if (what < 0.7) { const at = Math.floor(r() * (b.length - 1)); b.writeUInt16BE(Math.floor(r() * 65536), at); }
    else if (what < 0.85) return b.subarray(0, Math.floor(r() * b.length));
    else return Buffer.concat([b, Buffer.alloc(Math.floor(r() * 40), Math.floor(r() * 256))]);
  }
  return b;
}

function randomBytes(r: () => number, version: number | null): Buffer {
  const b = Buffer.alloc(Math.floor(r() * 200));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  if (version !== null && b.length >= 2) b.writeUInt16BE(version, 0);
  return b;
}

const KINDS = new Set(['record', 'closed', 'ignored', 'dead', 'duplicate', 'refused']);

describe('fuzz', () => {
  it(`${PACKETS} random and mutated packets: 0 crashes, each one decoded, buffered or dead-lettered`, () => {
    const r = rng(0xc0ffee);
    const flows = createFlowCollector({ resolve: (a) => (a === '192.0.2.1' ? { exporterId: a, providerId: 'p' } : undefined), maxPending: 256, pendingTimeoutMs: 1000 });
    const radius = createRadiusCollector({
      secretFor: (a) => (a === '192.0.2.9' ? SECRET : undefined), resolve: (a) => (a === '192.0.2.9' ? { exporterId: a, providerId: 'p' } : undefined),
      pseudonym: (p, a) => createHmac('sha256', 'k').update(`${p}|${a}`).digest('hex').slice(0, 8), duplicateWindowMs: 50, maxRemembered: 1000,
    });
    const tally = { events: 0, dead: 0, buffered: 0, decodedOnly: 0, radius: {} as Record<string, number> };
    const violations: string[] = []; // checked without expect() per packet: a million assertions cost more than the decoding
    const account = (o: FlowOutcome) => {
      if (!(o.dead.length > 0 || o.known)) violations.push(`packet from ${o.exporter} neither decoded nor dead-lettered`);
      const deadRecords = o.dead.filter((d) => d.code === 'CT_UNMAPPED_RECORD').length;
      if (o.events.length + o.ignored + deadRecords !== o.records) violations.push(`${o.records} records but ${o.events.length} events + ${o.ignored} ignored + ${deadRecords} dead`);
      tally.events += o.events.length; tally.dead += o.dead.length; tally.buffered += o.buffered;
      if (o.dead.length === 0 && o.events.length === 0 && o.buffered === 0) tally.decodedOnly++;
    };
    let now = Date.UTC(2026, 11, 1);
    for (let i = 0; i < PACKETS; i++) {
      now += 1;
      const kind = r();
      if (kind < 0.4) {
        const bytes = r() < 0.85 ? mutate(SEEDS_IPFIX[Math.floor(r() * SEEDS_IPFIX.length)]!, r) : r() < 0.5 ? SEEDS_IPFIX[Math.floor(r() * SEEDS_IPFIX.length)]! : randomBytes(r, 10);
        account(flows.handle({ protocol: 'ipfix', transport: r() < 0.5 ? 'udp' : 'tcp', session: 'c1', from: r() < 0.9 ? '192.0.2.1' : '192.0.2.7', bytes, receivedAt: now }));
      } else if (kind < 0.65) {
        const bytes = r() < 0.85 ? mutate(SEEDS_V9[Math.floor(r() * SEEDS_V9.length)]!, r) : randomBytes(r, r() < 0.5 ? 9 : null);
        account(flows.handle({ protocol: 'netflow9', transport: 'udp', from: '192.0.2.1', bytes, receivedAt: now }));
      } else if (kind < 0.9) {
        const bytes = r() < 0.8 ? mutate(SEEDS_RADIUS[Math.floor(r() * SEEDS_RADIUS.length)]!, r) : r() < 0.5 ? SEEDS_RADIUS[Math.floor(r() * SEEDS_RADIUS.length)]! : randomBytes(r, null);
        const o = radius.handle({ from: r() < 0.95 ? '192.0.2.9' : '192.0.2.8', port: 1, bytes, receivedAt: now });
        if (!KINDS.has(o.kind)) violations.push(`radius outcome ${o.kind}`);
        if ((o.kind === 'record' || o.kind === 'closed' || o.kind === 'ignored') && r() < 0.5) radius.acknowledged(o.dupKey, o.reply);
        tally.radius[o.kind] = (tally.radius[o.kind] ?? 0) + 1;
      } else {
        account(flows.handle({ protocol: r() < 0.5 ? 'ipfix' : 'netflow9', transport: 'udp', from: '192.0.2.1', bytes: randomBytes(r, null), receivedAt: now }));
      }
      if (i % 1000 === 0) tally.dead += flows.expire(now).length;
    }
    expect(violations.slice(0, 5)).toEqual([]);
    // the mix reached every path that matters
    expect(tally.events).toBeGreaterThan(1000);
    expect(tally.dead).toBeGreaterThan(1000);
    expect(tally.buffered).toBeGreaterThan(100);
    expect(Object.keys(tally.radius).filter((k) => k !== 'closed').sort()).toEqual(['dead', 'duplicate', 'ignored', 'record', 'refused']);
    console.log(`fuzz: ${PACKETS} packets, ${tally.events} events, ${tally.dead} dead letters, ${tally.buffered} sets buffered, radius ${JSON.stringify(tally.radius)}`);
  }, 120_000);
});
