// Finds a Docker-compatible API (Docker or Podman) for testcontainers, without starting one.
import { request } from 'node:http';

export interface ContainerRuntime {
  /** The DOCKER_HOST testcontainers should use, e.g. unix:///run/podman/podman.sock. */
  dockerHost: string;
  /** What answered, e.g. "Podman Engine 4.3.1". */
  engine: string;
  isPodman: boolean;
}

/** Where a socket is looked for, in order, after DOCKER_HOST. */
const WELL_KNOWN = ['unix:///var/run/docker.sock', 'unix:///run/podman/podman.sock'];

/** The first candidate whose /version answers within `timeoutMs` (CROSSTRACE_RUNTIME_PROBE_MS, default 15 s: a busy Podman on a loaded 2-core machine takes seconds), or undefined. */
export async function findContainerRuntime(env: NodeJS.ProcessEnv, timeoutMs = Number(env.CROSSTRACE_RUNTIME_PROBE_MS) || 15_000): Promise<ContainerRuntime | undefined> {
  const candidates = env.DOCKER_HOST ? [env.DOCKER_HOST, ...WELL_KNOWN] : WELL_KNOWN;
  for (const dockerHost of candidates) {
    if (dockerHost.startsWith('tcp://') && env.DOCKER_TLS_VERIFY) {
      // A TLS endpoint needs the client certificates to probe; trust the explicit setting.
      return { dockerHost, engine: 'Docker API over TLS', isPodman: false };
    }
    const version = await probeVersion(dockerHost, timeoutMs);
    if (version !== undefined) return { dockerHost, ...version };
  }
  return undefined;
}

interface VersionBody {
  Version?: string;
  Components?: { Name?: string; Version?: string }[];
}

function probeVersion(dockerHost: string, timeoutMs: number): Promise<Omit<ContainerRuntime, 'dockerHost'> | undefined> {
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost.startsWith('unix://')) {
    target = { socketPath: dockerHost.slice('unix://'.length) };
  } else if (dockerHost.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/version', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const v = JSON.parse(body) as VersionBody;
          const name = v.Components?.[0]?.Name ?? 'Docker Engine';
          resolve({ engine: `${name} ${v.Version ?? '?'}`, isPodman: /podman/i.test(name) });
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
