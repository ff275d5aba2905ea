// Where the simulated devices sit on the wire (wire mode): every named exporter of the provider
// registry gets a loopback address of its own, 127.77.<provider #>.<exporter #>, and a RADIUS
// shared secret; the registry the services run with lists each address beside the device's
// name, so the collector resolves a packet's source address to the provider as it would a
// real device's. One JSON file serves both ends:
//   {"devices": {"<exporter id>": "<address>"}, "nas": {"<address>": "<secret>"}, "pseudonymKey": "..."}
// the simulator reads "devices" and "nas", the collector reads it as its RADIUS file.
//   node services/simulator/wire-devices.ts <providers.json> <out dir>
// writes <out dir>/devices.json (kept when present: the secrets stay) and <out dir>/providers.json.
import { secretText } from '../common/secret-text.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '../../schemas/types.gen.ts';
import { isValidAddress } from '../common/address.ts';
import { CrosstraceError } from '../common/errors.ts';
import { loadProvidersFile } from '../common/provider-directory.ts';
import type { WireDevices } from './wire-output.ts';

export interface WireDevicesFile { devices: Record<string, string>; nas: Record<string, string>; pseudonymKey: string }

/** Addresses and fresh secrets for every named (non-address) exporter of `providers`. */
export function planWireDevices(providers: Provider[], secret = () => secretText(18)): WireDevicesFile {
  const devices: Record<string, string> = {};
  const nas: Record<string, string> = {};
  providers.forEach((p, i) => p.exporters.filter((id) => !isValidAddress(id.split('#')[0]!)).forEach((id, j) => {
    const addr = `127.77.${i + 1}.${j + 1}`;
    devices[id] = addr;
    nas[addr] = secret();
  }));
  return { devices, nas, pseudonymKey: secret() + secret() };
}

/** `providers` with each device's address listed beside its name, of the same kind (exporterKinds)
 *  and export lag (flowExportLagMs). A flow exporter's name is dropped: on the wire its flows come
 *  from its address only, and a listed flow exporter that never sends would hold back the flow
 *  watermark, so no relay lookup of its provider would ever settle (tracer/domain/relay-settling.ts). */
export function withDeviceAddresses(providers: Provider[], f: WireDevicesFile): Provider[] {
  return providers.map((p) => {
    const added = p.exporters.flatMap((id) => (f.devices[id] && !p.exporters.includes(f.devices[id]) ? [[id, f.devices[id]] as const] : []));
    const kinds = p.exporterKinds ?? {};
    const wiredFlow = new Set(added.filter(([id]) => kinds[id] === 'flow').map(([id]) => id));
    return {
      ...p, exporters: [...p.exporters.filter((id) => !wiredFlow.has(id)), ...added.map(([, addr]) => addr)],
      exporterKinds: { ...kinds, ...Object.fromEntries(added.flatMap(([id, addr]) => (kinds[id] ? [[addr, kinds[id]]] : []))) },
      flowExportLagMs: { ...p.flowExportLagMs, ...Object.fromEntries(added.flatMap(([id, addr]) => (p.flowExportLagMs?.[id] === undefined ? [] : [[addr, p.flowExportLagMs[id]]]))) },
    };
  });
}

export function loadWireDevices(path: string): WireDevices & { pseudonymKey: Buffer } {
  let f: WireDevicesFile;
  try { f = JSON.parse(readFileSync(path, 'utf8')) as WireDevicesFile; } catch (e) {
    throw new CrosstraceError('CT_CONFIG', `CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE ${path}: cannot be read as JSON: ${(e as Error).message}`);
  }
  if (!f || typeof f.devices !== 'object' || typeof f.nas !== 'object' || typeof f.pseudonymKey !== 'string') {
    throw new CrosstraceError('CT_CONFIG', `CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE ${path}: needs "devices", "nas" and "pseudonymKey" (make it with node services/simulator/wire-devices.ts)`);
  }
  return {
    devices: new Map(Object.entries(f.devices)),
    secrets: new Map(Object.entries(f.nas).map(([a, s]) => [a, Buffer.from(s, 'utf8')])),
    pseudonymKey: Buffer.from(f.pseudonymKey, 'utf8'),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [providersPath, out] = process.argv.slice(2);
  if (!providersPath || !out) { console.error('usage: node services/simulator/wire-devices.ts <providers.json> <out dir>'); process.exit(2); }
  const providers = loadProvidersFile(providersPath);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  const devicesPath = join(out, 'devices.json');
  const plan: WireDevicesFile = existsSync(devicesPath) ? JSON.parse(readFileSync(devicesPath, 'utf8')) as WireDevicesFile : planWireDevices(providers);
  writeFileSync(devicesPath, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o600 });
  writeFileSync(join(out, 'providers.json'), `${JSON.stringify(withDeviceAddresses(providers, plan), null, 2)}\n`);
  console.log(`${Object.keys(plan.devices).length} devices: ${devicesPath}, ${join(out, 'providers.json')}`);
}
