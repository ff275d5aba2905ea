// The sockets: UDP listeners (IPFIX, NetFlow v9, RADIUS) with SO_RCVBUF sized and reported,
// and the IPFIX TCP listener, which frames the stream by each message's Length field (RFC
// 7011 10.4). A stream that stops making sense (not version 10, a length below the header)
// cannot be resynchronised: its remaining bytes are handed over as one bad message and the
// connection is closed. Kernel drops per UDP socket come from /proc/net/udp[6] (Linux).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';

export interface UdpListener { socket: Socket; open(): boolean; port(): number; rcvbuf(): number; kernelDrops(): number | null; close(): Promise<void> }

export async function startUdpListener(o: { host: string; port: number; rcvbufBytes: number; onMessage(b: Buffer, from: RemoteInfo): void }): Promise<UdpListener> {
  const socket = createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: o.rcvbufBytes });
  socket.on('message', o.onMessage);
  await new Promise<void>((res, rej) => { socket.once('error', rej); socket.bind(o.port, o.host, () => { socket.off('error', rej); res(); }); });
  let closed = false;
  return {
    socket,
    open: () => !closed,
    port: () => socket.address().port,
    rcvbuf: () => socket.getRecvBufferSize(),
    kernelDrops: () => udpDrops(socket.address().port, o.host.includes(':')),
    close: () => (closed ? Promise.resolve() : new Promise<void>((res) => { closed = true; socket.close(() => res()); })),
  };
}

/** The drops column of the socket bound to `port` in /proc/net/udp or udp6; null where unreadable. */
export function udpDrops(port: number, v6: boolean): number | null {
  try {
    const hexPort = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync(v6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(hexPort)) return Number(cols.at(-1));
    }
  } catch { /* not Linux */ }
  return null;
}

export interface TcpListener { port(): number; close(): Promise<void> }

export async function startIpfixTcpListener(o: {
  host: string; port: number;
  onMessage(b: Buffer, remote: { address: string; port: number }, connId: string): void;
  onClose(connId: string): void;
}): Promise<TcpListener> {
  const conns = new Set<TcpSocket>();
  let next = 0;
  const server: Server = createServer((sock) => {
    conns.add(sock);
    const connId = `${sock.remoteAddress}:${sock.remotePort}/${++next}`;
    const remote = { address: sock.remoteAddress ?? '', port: sock.remotePort ?? 0 };
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 4) {
        const len = buf.readUInt16BE(2);
        if (buf.readUInt16BE(0) !== 10 || len < 16) { o.onMessage(buf, remote, connId); buf = Buffer.alloc(0); sock.destroy(); return; }
        if (buf.length < len) break;
        o.onMessage(buf.subarray(0, len), remote, connId);
        buf = buf.subarray(len);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => { conns.delete(sock); if (buf.length) o.onMessage(buf, remote, connId); o.onClose(connId); });
  });
  await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(o.port, o.host, () => { server.off('error', rej); res(); }); });
  return {
    port: () => (server.address() as { port: number }).port,
    close: () => new Promise<void>((res) => { for (const c of conns) c.destroy(); server.close(() => res()); }),
  };
}
