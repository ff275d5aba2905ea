// Who sent a packet: its source address (+ IPFIX observation domain / NetFlow v9 source id)
// looked up among the exporter ids of the provider registry. An exporter id of the form
// "<address>#<domain>" names one observation domain of a device; "<address>" all of them
// (the more specific wins). A RADIUS NAS is listed by its address. Never guessed: no entry,
// no identity. Pure.
import type { Provider } from '../../../schemas/types.gen.ts';
import type { ExporterRef } from './flow-mapping.ts';

/** Canonical text of a socket's remote address (an IPv4-mapped IPv6 address as IPv4). */
export function sourceAddress(remote: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  return m ? m[1]! : remote.toLowerCase();
}

export function resolveExporter(byExporter: (id: string) => Provider | undefined, addr: string, domain: number | null): ExporterRef | undefined {
  for (const id of domain === null ? [addr] : [`${addr}#${domain}`, addr]) {
    const p = byExporter(id);
    if (p) return { exporterId: id, providerId: p.providerId };
  }
  return undefined;
}
