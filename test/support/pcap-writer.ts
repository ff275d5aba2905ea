// A small libpcap file writer (Ethernet + IPv4/IPv6 + TCP/UDP), for feeding real exporters
// such as softflowd conversations whose addresses, ports, packet and byte counts the test
// knows. Counts are what a flow exporter reports: octets = IP total length (L3).

export interface PcapPacket {
  /** Capture time, UTC ms. */
  at: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 6 | 17;
  /** TCP flags (SYN 0x02, ACK 0x10, FIN 0x01, PSH 0x08). */
  flags?: number;
  payload: number;
}

const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };

function addrBytes(a: string): Buffer {
  if (!a.includes(':')) return Buffer.from(a.split('.').map(Number));
  const [h, t] = a.split('::') as [string, string | undefined];
  const hs = h ? h.split(':') : [];
  const ts = t ? t.split(':') : [];
  const groups = t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return Buffer.concat(groups.map((g) => u16(parseInt(g, 16))));
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) + (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Bytes on the wire at layer 3 (what IPFIX octetDeltaCount counts). */
export function ipLength(p: PcapPacket): number {
  return (p.src.includes(':') ? 40 : 20) + (p.proto === 6 ? 20 : 8) + p.payload;
}

function frame(p: PcapPacket): Buffer {
  const l4 = p.proto === 6
    ? Buffer.concat([u16(p.sport), u16(p.dport), Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x50, p.flags ?? 0x18]), u16(65535), u16(0), u16(0)])
    : Buffer.concat([u16(p.sport), u16(p.dport), u16(8 + p.payload), u16(0)]);
  const body = Buffer.concat([l4, Buffer.alloc(p.payload, 0x61)]);
  let ip: Buffer;
  if (p.src.includes(':')) {
    ip = Buffer.concat([Buffer.from([0x60, 0, 0, 0]), u16(body.length), Buffer.from([p.proto, 64]), addrBytes(p.src), addrBytes(p.dst)]);
  } else {
    ip = Buffer.concat([Buffer.from([0x45, 0]), u16(20 + body.length), Buffer.from([0, 0, 0x40, 0, 64, p.proto, 0, 0]), addrBytes(p.src), addrBytes(p.dst)]);
    ip.writeUInt16BE(checksum(ip), 10);
  }
  const eth = Buffer.concat([Buffer.from('020000000002020000000001', 'hex'), u16(p.src.includes(':') ? 0x86dd : 0x0800)]);
  return Buffer.concat([eth, ip, body]);
}

/** A pcap file (microsecond timestamps, LINKTYPE_ETHERNET) holding the packets in order. */
export function pcapFile(packets: PcapPacket[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const recs = packets.map((p) => {
    const f = frame(p);
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(p.at / 1000), 0);
    h.writeUInt32LE((p.at % 1000) * 1000, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([head, ...recs]);
}

export interface Conversation { src: string; dst: string; sport: number; dport: number; proto: 6 | 17; start: number; forward: number[]; backward: number[] }

/** The packets of a conversation: payload sizes each way, 10 ms apart, TCP with SYN/ACK/FIN. */
export function conversationPackets(c: Conversation): PcapPacket[] {
  const out: PcapPacket[] = [];
  const n = Math.max(c.forward.length, c.backward.length);
  let t = c.start;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const flags = c.proto === 6 ? (i === 0 ? 0x02 : last ? 0x11 : 0x18) : undefined;
    if (i < c.forward.length) out.push({ at: (t += 10), src: c.src, dst: c.dst, sport: c.sport, dport: c.dport, proto: c.proto, flags, payload: c.forward[i]! });
    if (i < c.backward.length) out.push({ at: (t += 10), src: c.dst, dst: c.src, sport: c.dport, dport: c.sport, proto: c.proto, flags: c.proto === 6 ? (i === 0 ? 0x12 : last ? 0x11 : 0x18) : undefined, payload: c.backward[i]! });
  }
  return out;
}
