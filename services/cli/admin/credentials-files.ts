// Where `admin acl apply --credentials-dir DIR` writes each principal's client properties.
// Flat (the default, the local stack): DIR/<principal>.properties. With --principal-dirs:
// DIR/<principal>/client.properties, one folder per principal, so a container mounts its own
// folder alone (docker-compose.yml: the kafka-clients volume with `volume.subpath: <service>`)
// and holds no other principal's password. Folders and files are the writer's only (0700/0600).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRINCIPAL_DIR_FILE = 'client.properties';

/** The client properties file of `principal` under `dir`; its folder exists when this returns. */
export function credentialsFile(dir: string, principal: string, perPrincipalDir: boolean): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(principal)) throw new Error(`principal ${JSON.stringify(principal)} cannot name a credentials file`);
  const folder = perPrincipalDir ? join(dir, principal) : dir;
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  return perPrincipalDir ? join(folder, PRINCIPAL_DIR_FILE) : join(folder, `${principal}.properties`);
}
