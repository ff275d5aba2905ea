// Snapshots the current self-contained schemas as a released version:
// `node schemas/release.ts <version>` writes schemas/released/<version>/<Record>.json.
// test/schema-compat.test.ts checks every schema in the repo against the newest release
// through the registry's compatibility endpoint (BACKWARD).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadSchemas } from './catalog.ts';

const version = process.argv[2];
if (!version || !/^\d+$/.test(version)) { console.error('usage: node schemas/release.ts <version number>'); process.exit(2); }
const dir = new URL(`./released/${version}/`, import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const [name, schema] of loadSchemas()) writeFileSync(`${dir}${name}.json`, `${JSON.stringify(schema, null, 1)}\n`);
console.log(`released schemas as version ${version} in schemas/released/${version}/`);
