// `--src` / `--dst` values: `198.51.100.7:40001`, `[2001:db8::1]:443`, or a bare address when
// the port is unknown (`198.51.100.7`, `2001:db8::1`). Only splits; the address itself is
// validated by the open-request validation.
export function parseEndpointArg(text: string): { addr: string; port: number | null } | string {
  const t = text.trim();
  let addr = t;
  let port: string | undefined;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) { addr = bracket[1]!; port = bracket[2]; }
  else if ((t.match(/:/g) ?? []).length === 1) { [addr, port] = t.split(':') as [string, string]; }
  if (port === undefined) return { addr, port: null };
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return `port ${JSON.stringify(port)} of ${JSON.stringify(text)} is not 0-65535`;
  return { addr, port: Number(port) };
}
