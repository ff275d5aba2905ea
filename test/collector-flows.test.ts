// The collector against an exporter no one here wrote: Debian's softflowd reads a pcap this
// test writes (TCP and UDP conversations, IPv4 and IPv6) and exports IPFIX over UDP and TCP
// and NetFlow v9 over UDP; the records on flows.raw must match the conversations. NAT events
// are IPFIX messages built byte by byte from RFC 8158 (no Debian exporter emits them).
// Unknown exporters and malformed packets land on dlq.collector with their bytes and reason.
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationPackets, ipLength, pcapFile, type Conversation } from './support/pcap-writer.ts';
import { runSoftflowd, startCollectorHarness } from './support/collector-harness.ts';

type Harness = Awaited<ReturnType<typeof startCollectorHarness>>;
const PROVIDERS = [
  { providerId: 'zz-wire-isp', jurisdiction: 'FR', name: 'wire test ISP', kind: 'ACCESS', prefixes: ['10.77.0.0/16'], exporters: ['127.0.0.1'], deterministicNat: [] },
  { providerId: 'zz-wire-cgn', jurisdiction: 'FR', name: 'wire test CGN', kind: 'CGN', prefixes: ['10.78.0.0/16'], exporters: ['127.0.0.1#8158'], deterministicNat: [] },
];

function send(port: number, bytes: Buffer, from = '127.0.0.1'): Promise<void> {
  const s = createSocket('udp4');
  return new Promise((res, rej) => s.bind(0, from, () => s.send(bytes, port, '127.0.0.1', (e) => { s.close(); if (e) rej(e); else res(); })));
}

describe('collector with softflowd and hand-built RFC 8158 messages', () => {
  let h: Harness;
  beforeAll(async () => { h = await startCollectorHarness(PROVIDERS); });
  afterAll(async () => { await h?.stop(); });

  // each export run gets its own ports, so records of other runs never match
  let nextPort = 20000 + Math.floor(Math.random() * 20000);
  function conversations(start: number): Conversation[] {
    const p = () => nextPort++;
    return [
      { src: '10.77.0.5', dst: '192.0.2.10', sport: p(), dport: 443, proto: 6, start, forward: [0, 120, 300, 0], backward: [0, 1400, 1400, 0] },
      { src: '10.77.0.6', dst: '192.0.2.53', sport: p(), dport: 53, proto: 17, start: start + 3, forward: [40, 44], backward: [120] },
      { src: '2001:db8:77::5', dst: '2001:db8:10::a', sport: p(), dport: 443, proto: 6, start: start + 7, forward: [0, 500, 0], backward: [0, 900] },
      { src: '2001:db8:77::6', dst: '2001:db8:10::b', sport: p(), dport: 4500, proto: 17, start: start + 11, forward: [100, 100, 100], backward: [60] },
    ];
  }

  async function exportAndCheck(args: string[], port: number, timeToleranceMs: number) {
    const start = Date.now() - 90_000;
    const convs = conversations(start);
    const packets = convs.flatMap(conversationPackets).sort((a, b) => a.at - b.at);
    const pcap = join(h.dir, `flows-${args.join('')}.pcap`);
    writeFileSync(pcap, pcapFile(packets));
    await runSoftflowd(pcap, port, args, h.dir);
    for (const c of convs) {
      for (const [src, dst, sport, dport] of [[c.src, c.dst, c.sport, c.dport], [c.dst, c.src, c.dport, c.sport]] as const) {
        const mine = packets.filter((p) => p.src === src && p.sport === sport && p.dst === dst && p.dport === dport);
        const got = await h.waitFor(`${args.join(' ')}: flow ${src}:${sport} -> ${dst}:${dport}`,
          () => h.seen.find((s) => s.flow && s.flow.srcAddr === src && s.flow.srcPort === sport && s.flow.dstAddr === dst && s.flow.dstPort === dport)?.flow);
        expect(got).toMatchObject({ exporterId: '127.0.0.1', protocol: c.proto, packets: mine.length, octets: mine.reduce((n, p) => n + ipLength(p), 0) });
        // softflowd tracks a conversation as one bidirectional flow: both records carry its first and last packet times
        const both = packets.filter((p) => (p.sport === c.sport && p.src === c.src) || (p.dport === c.sport && p.dst === c.src));
        expect(Math.abs(got.startTime - both[0]!.at)).toBeLessThanOrEqual(timeToleranceMs);
        expect(Math.abs(got.endTime - both.at(-1)!.at)).toBeLessThanOrEqual(timeToleranceMs);
      }
    }
  }

  it('IPFIX over UDP from softflowd matches the conversations (IPv4 + IPv6, TCP + UDP)', async () => {
    await exportAndCheck(['-v', '10'], h.ports['ipfix-udp']!, 2);
  });

  it('IPFIX over TCP from softflowd matches the conversations', async () => {
    await exportAndCheck(['-v', '10', '-P', 'tcp'], h.ports['ipfix-tcp']!, 2);
  });

  it('IPFIX with absolute millisecond times (-A milli) matches the conversations', async () => {
    await exportAndCheck(['-v', '10', '-A', 'milli'], h.ports['ipfix-udp']!, 2);
  });

  it('NetFlow v9 from softflowd matches the conversations (times to the second of the export header)', async () => {
    // RFC 3954's header carries unix_secs only: uptime-relative times are exact to that second
    await exportAndCheck(['-v', '9'], h.ports['netflow9-udp']!, 1000);
  });

  it('maps RFC 8158 NAT events built byte by byte: natEvent 1/2 sessions and 14/15 port blocks', async () => {
    const t = Date.now() - 30_000;
    const ms = (v: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(v)); return b; };
    const port = nextPort++;
    // template set (id 2), length 4 + 4 + 9*4 + 4 + 7*4 = 76
    const templates = Buffer.concat([
      Buffer.from([0x00, 0x02, 0x00, 76]),
      Buffer.from([0x01, 0x10, 0x00, 9]), // template 272: NAT44 session, 9 fields
      Buffer.from([0x01, 0x43, 0, 8, 0x00, 0x08, 0, 4, 0x00, 0xe1, 0, 4, 0x00, 0x04, 0, 1, 0x00, 0x07, 0, 2, 0x00, 0xe3, 0, 2, 0x00, 0x0c, 0, 4, 0x00, 0x0b, 0, 2, 0x00, 0xe6, 0, 1]),
      Buffer.from([0x01, 0x11, 0x00, 7]), // template 273: port block, 7 fields
      Buffer.from([0x01, 0x43, 0, 8, 0x00, 0xe6, 0, 1, 0x00, 0x08, 0, 4, 0x00, 0xe1, 0, 4, 0x01, 0x69, 0, 2, 0x01, 0x6a, 0, 2, 0x01, 0x6b, 0, 2]),
    ]);
    const session = (ev: number, at: number) => Buffer.concat([ms(at), Buffer.from([10, 78, 0, 9, 198, 51, 100, 77, 6]), Buffer.from([0x9c, 0x40]), Buffer.from([port >> 8, port & 0xff]), Buffer.from([192, 0, 2, 10, 0x01, 0xbb, ev])]);
    const block = (ev: number, at: number) => Buffer.concat([ms(at), Buffer.from([ev, 10, 78, 0, 10, 198, 51, 100, 78, 0x9c, 0x40, 0x9f, 0xff, 0x00, 0x01])]);
    const data1 = Buffer.concat([Buffer.from([0x01, 0x10, 0x00, 4 + 2 * 28]), session(1, t), session(2, t + 5000)]);
    const data2 = Buffer.concat([Buffer.from([0x01, 0x11, 0x00, 4 + 2 * 23]), block(14, t), block(15, t + 9000)]);
    const body = Buffer.concat([templates, data1, data2]);
    const header = Buffer.alloc(16);
    header.writeUInt16BE(10, 0);
    header.writeUInt16BE(16 + body.length, 2);
    header.writeUInt32BE(Math.floor(Date.now() / 1000), 4);
    header.writeUInt32BE(0, 8);
    header.writeUInt32BE(8158, 12); // observation domain: the registry lists 127.0.0.1#8158 as the CGN
    await send(h.ports['ipfix-udp']!, Buffer.concat([header, body]));
    const nat = await h.waitFor('NAT sessions', () => { const s = h.seen.filter((x) => x.session?.kind === 'NAT_SESSION' && x.session.outsidePort === port); return s.length === 2 ? s : undefined; });
    expect(nat.map((s) => [s.key, s.session!.action, s.session!.natEvent, s.session!.eventTime])).toEqual([['zz-wire-cgn', 'START', 1, t], ['zz-wire-cgn', 'STOP', 2, t + 5000]]);
    expect(nat[0]!.session).toMatchObject({ exporterId: '127.0.0.1#8158', insideAddr: '10.78.0.9', insidePort: 40000, outsideAddr: '198.51.100.77', protocol: 6 });
    const blocks = await h.waitFor('port blocks', () => { const s = h.seen.filter((x) => x.session?.kind === 'PORT_BLOCK' && x.session.outsideAddr === '198.51.100.78' && x.session.eventTime >= t); return s.length === 2 ? s : undefined; });
    expect(blocks.map((s) => [s.session!.action, s.session!.natEvent, s.session!.portRangeStart, s.session!.portRangeEnd, s.session!.insideAddr])).toEqual([
      ['START', 14, 40000, 40959, '10.78.0.10'], ['STOP', 15, 40000, 40959, '10.78.0.10'],
    ]);
  });

  it('dead-letters an unknown exporter and a malformed packet with their bytes and reason, and keeps going', async () => {
    const stranger = Buffer.from('000a001400000000000000000000000100ff0004', 'hex'); // valid IPFIX message from an unlisted address
    stranger.writeUInt32BE(Math.floor(Date.now() / 1000), 4);
    await send(h.ports['ipfix-udp']!, stranger, '127.0.0.3');
    const lying = Buffer.from(stranger);
    lying.writeUInt16BE(0x0400, 2); // length field lies
    await send(h.ports['ipfix-udp']!, lying);
    const unknown = await h.waitFor('unknown exporter dead letter', () => h.seen.find((s) => s.topic === 'dlq.collector' && s.value?.equals(stranger)));
    expect(unknown.headers).toMatchObject({ 'ct-reasonCode': 'CT_UNKNOWN_EXPORTER', 'ct-sourceTopic': 'ipfix-udp', 'ct-stage': 'collector' });
    expect(unknown.headers['ct-exporterAddress']).toMatch(/^127\.0\.0\.3:/);
    const bad = await h.waitFor('malformed dead letter', () => h.seen.find((s) => s.topic === 'dlq.collector' && s.value?.equals(lying)));
    expect(bad.headers['ct-reasonCode']).toBe('CT_MALFORMED_PACKET');
    const m = await h.metrics();
    expect(m).toMatch(/crosstrace_collector_drops_total\{exporter="unknown",protocol="ipfix",reason="CT_UNKNOWN_EXPORTER",service="collector"\} [1-9]/);
    expect(m).toMatch(/crosstrace_collector_records_total\{exporter="127.0.0.1",protocol="ipfix",service="collector"\} [1-9]/);
  });
});
