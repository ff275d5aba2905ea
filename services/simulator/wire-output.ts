// Wire mode's sockets: each simulated device that has an address in the wire-devices file
// sends from its own loopback address (127.0.0.0/8 is all local on Linux, so the collector
// tells devices apart by source address, as it does real ones): flow exporters and CGNs as
// IPFIX over UDP, NASes as RADIUS accounting over UDP with their shared secret. A NAS keeps
// at most `radiusWindow` requests unanswered and resends one after `radiusRetryMs` (same
// Identifier and authenticator, so the collector answers a duplicate without a second
// record), giving up after `radiusTries` sends. take() refuses a record with no wire form or
// from a device with no address: the caller produces it as Avro.
import { createSocket, type Socket } from 'node:dgram';
import { accountingRequest } from '../collector/domain/radius-packet.ts';
import type { Logger } from '../common/logger.ts';
import type { RawOut } from './raw-events.ts';
import { accountingAttributes, createIpfixExporter, flowCells, natSessionCells, portBlockCells, type IpfixExporter } from './wire-encode.ts';

export interface WireDevices {
  /** exporter id -> the loopback address it sends from */
  devices: Map<string, string>;
  /** NAS address -> shared secret */
  secrets: Map<string, Buffer>;
}

export interface WireOutputOptions extends WireDevices {
  collectorHost: string;
  ipfixPort: number;
  radiusPort: number;
  /** The device's clock: true ms -> device ms (its skew). */
  deviceClock: (exporterId: string, trueMs: number) => number;
  logger: Logger;
  radiusWindow?: number;
  radiusRetryMs?: number;
  radiusTries?: number;
}

export interface WireStats { ipfixMessages: number; ipfixRecords: number; radiusSent: number; radiusAnswered: number; radiusResent: number; radiusGaveUp: number }

interface Pending { packet: Buffer; sentAt: number; tries: number }
type Attributes = { type: number; value: Buffer }[];
interface Nas { socket: Socket; queue: Attributes[]; pending: Map<number, Pending>; nextId: number; secret: Buffer }
interface Ipfix { socket: Socket; exporter: IpfixExporter; due: ReturnType<typeof flowCells>[] }

async function bound(address: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.bind({ address, port: 0 }, () => { s.off('error', reject); resolve(); }); });
  return s;
}

export async function createWireOutput(o: WireOutputOptions) {
  const window = o.radiusWindow ?? 128;
  const retryMs = o.radiusRetryMs ?? 3000;
  const tries = o.radiusTries ?? 5;
  const stats: WireStats = { ipfixMessages: 0, ipfixRecords: 0, radiusSent: 0, radiusAnswered: 0, radiusResent: 0, radiusGaveUp: 0 };
  const ipfix = new Map<string, Ipfix>();
  const nas = new Map<string, Nas>();
  const onError = (device: string) => (e: Error) => o.logger.warn({ err: e, device }, 'wire socket error');

  for (const [id, addr] of o.devices) {
    const secret = o.secrets.get(addr);
    if (secret) {
      const n: Nas = { socket: await bound(addr), queue: [], pending: new Map(), nextId: 0, secret };
      n.socket.on('error', onError(id));
      // an Accounting-Response (code 5) for a pending Identifier ends its retries
      n.socket.on('message', (b) => { if (b.length >= 20 && b[0] === 5 && n.pending.delete(b[1]!)) { stats.radiusAnswered++; pumpNas(n); } });
      nas.set(id, n);
    }
    const s = await bound(addr);
    s.on('error', onError(id));
    ipfix.set(id, { socket: s, exporter: createIpfixExporter(), due: [] });
  }

  function pumpNas(n: Nas): void {
    while (n.queue.length && n.pending.size < window) {
      let id = n.nextId;
      while (n.pending.has(id)) id = (id + 1) & 0xff;
      n.nextId = (id + 1) & 0xff;
      // the Identifier is part of the signed header: a request is signed once its Identifier is known
      const signed = accountingRequest(id, n.queue.shift()!, n.secret);
      n.pending.set(id, { packet: signed, sentAt: Date.now(), tries: 1 });
      n.socket.send(signed, o.radiusPort, o.collectorHost);
      stats.radiusSent++;
    }
  }

  const retry = setInterval(() => {
    const now = Date.now();
    for (const n of nas.values()) {
      for (const [id, p] of n.pending) {
        if (now - p.sentAt < retryMs) continue;
        if (p.tries >= tries) { n.pending.delete(id); stats.radiusGaveUp++; continue; }
        p.tries++; p.sentAt = now; stats.radiusResent++;
        n.socket.send(p.packet, o.radiusPort, o.collectorHost);
      }
      pumpNas(n);
    }
  }, 500);
  retry.unref();

  return {
    /** Queues `x` for the wire when it has a wire form and its device an address; false = not taken. */
    take(x: RawOut): boolean {
      const id = x.value.exporterId;
      if (x.topic === 'flows.raw') {
        const cells = ipfix.has(id) ? flowCells(x.value) : null;
        if (!cells) return false;
        ipfix.get(id)!.due.push(cells);
        return true;
      }
      const n = nas.get(id);
      if (n && x.value.kind === 'ACCESS_SESSION') {
        const attrs = accountingAttributes(x.value, o.devices.get(id)!);
        if (!attrs) return false;
        n.queue.push(attrs);
        return true;
      }
      const cells = ipfix.has(id) ? portBlockCells(x.value) ?? natSessionCells(x.value) : null;
      if (!cells) return false;
      ipfix.get(id)!.due.push(cells);
      return true;
    },
    /** Sends what was taken: IPFIX messages per device, RADIUS requests within each NAS's window. */
    flush(): void {
      const now = Date.now();
      for (const [id, d] of ipfix) {
        if (!d.due.length) continue;
        for (const m of d.exporter.encode(d.due as NonNullable<(typeof d.due)[number]>[], o.deviceClock(id, now))) {
          d.socket.send(m, o.ipfixPort, o.collectorHost);
          stats.ipfixMessages++;
        }
        stats.ipfixRecords += d.due.length;
        d.due = [];
      }
      for (const n of nas.values()) pumpNas(n);
    },
    /** RADIUS requests queued or unanswered. */
    unanswered: (): number => [...nas.values()].reduce((a, n) => a + n.queue.length + n.pending.size, 0),
    stats: (): WireStats => ({ ...stats }),
    async close(): Promise<void> {
      clearInterval(retry);
      for (const s of [...ipfix.values(), ...nas.values()].map((d) => d.socket)) await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

export type WireOutput = Awaited<ReturnType<typeof createWireOutput>>;
