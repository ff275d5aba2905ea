// Backpressure on a real socket: a reader that does not read fills the kernel buffers, then
// write() reports a full buffer; from there the channel holds at most one event per trace and
// the socket's own buffer stops growing. The naive writer (write every event regardless), run
// on the same socket setup, shows what that bound saves. A reader further behind than
// maxPending traces is cut off.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openSseChannel } from './sse-channel.ts';

let server: Server;
const sockets: Socket[] = [];
afterEach(async () => { for (const s of sockets.splice(0)) s.destroy(); server.closeAllConnections(); await new Promise((r) => server.close(r)); });

/** A server whose one response is handed out, and a client socket that has sent the request and reads nothing. */
async function stalledReader(): Promise<{ res: ServerResponse; client: Socket }> {
  let give: (r: ServerResponse) => void = () => {};
  const got = new Promise<ServerResponse>((r) => { give = r; });
  server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/event-stream' }); give(res); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  sockets.push(client);
  client.write('GET /v1/stream HTTP/1.1\r\nhost: x\r\n\r\n');
  client.pause();
  return { res: await got, client };
}

const event = (trace: number, seq: number) => `id: t${trace}:${seq}\nevent: update\ndata: ${JSON.stringify({ trace, seq, pad: 'x'.repeat(1000) })}\n\n`;
const TRACES = 10;
const EVENTS = 20_000; // ~20 MB in all: far more than the loopback socket buffers take

describe('SSE channel', () => {
  it('a reader that stops reading costs one waiting view per trace, not every event; when it reads again it gets each trace\'s newest view', async () => {
    const naive = await stalledReader();
    for (let i = 0; i < EVENTS; i++) naive.res.write(event(i % TRACES, i));
    const naiveBuffered = naive.res.writableLength;
    naive.client.destroy();
    await new Promise((r) => server.close(r));

    const { res, client } = await stalledReader();
    const channel = openSseChannel(res, { maxPending: 100 });
    let peakBuffered = 0;
    for (let i = 0; i < EVENTS; i++) {
      channel.send(`t${i % TRACES}`, event(i % TRACES, i));
      peakBuffered = Math.max(peakBuffered, res.writableLength);
    }
    console.log(`SSE to a stalled reader, ${EVENTS} events of ~1 KB over ${TRACES} traces: naive writer buffers ${(naiveBuffered / 1e6).toFixed(1)} MB in the process; with backpressure at most ${(peakBuffered / 1e3).toFixed(0)} kB buffered + ${channel.pending()} waiting views`);
    expect(channel.pending()).toBeLessThanOrEqual(TRACES);
    expect(peakBuffered).toBeLessThan(res.writableHighWaterMark + 2 * event(0, EVENTS).length);
    expect(naiveBuffered).toBeGreaterThan(10 * peakBuffered); // the bound is what makes the difference

    let text = '';
    client.on('data', (d: Buffer) => { text += d.toString('latin1'); });
    client.resume();
    const last = new Map<number, number>();
    for (let i = EVENTS - TRACES; i < EVENTS; i++) last.set(i % TRACES, i);
    const newestArrived = () => [...last].every(([t, seq]) => text.includes(`id: t${t}:${seq}\n`));
    for (let i = 0; i < 200 && !newestArrived(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(newestArrived()).toBe(true);
    expect(channel.pending()).toBe(0);
    expect(text.split('event: update').length - 1).toBeLessThan(EVENTS); // superseded views were dropped, not sent
    channel.close();
  });

  it('a reader further behind than maxPending traces is cut off', async () => {
    const { res } = await stalledReader();
    let cut = 0;
    const channel = openSseChannel(res, { maxPending: 5, onOverflow: () => { cut++; } });
    for (let i = 0; i < EVENTS && !res.destroyed; i++) channel.send(`t${i}`, event(i, i)); // every event a new trace
    expect([cut, res.destroyed, channel.pending()]).toEqual([1, true, 0]);
    channel.send('late', event(0, 0)); // after the cut: ignored, nothing thrown
  });
});
