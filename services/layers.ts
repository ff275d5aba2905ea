// The layering of the code, in ONE place: which folder may import which, which modules a
// domain folder may not import, and today's known exceptions. Checked by
// deploy/tools/import-check.test.ts (run by `make test`: an import from a lower layer to a
// higher one, between two folders of the same layer, or a circle of files fails it) and, for
// the domain I/O rule, by eslint (eslint.config.js reads DOMAIN_FOLDERS and IO_MODULES here).

/** Lowest first. A file may import its own folder and folders of LOWER layers only: the stages
 *  never import each other, nor the tools. */
export const LAYERS: readonly { name: string; folders: readonly string[] }[] = [
  { name: 'schemas', folders: ['schemas'] },
  { name: 'kit', folders: ['services/common', 'services/history'] },
  { name: 'join', folders: ['services/join'] },
  { name: 'partner', folders: ['services/partner'] },
  { name: 'stages', folders: ['services/collector', 'services/ingest', 'services/correlator', 'services/archive', 'services/tracer', 'services/gateway'] },
  { name: 'tools', folders: ['services/cli', 'services/simulator'] },
];

/** Tests (*.test.ts) may also import these, for their inputs (seeded traffic with ground truth). */
export const TEST_DATA_FOLDERS: readonly string[] = ['services/simulator'];

/** Pure logic: no I/O, no Kafka/Redis/metrics/Avro/database client. */
export const DOMAIN_FOLDERS: readonly string[] = ['services/*/domain', 'services/join/methods', 'services/join/matchers'];
export const IO_MODULES: readonly string[] = [
  'kafkajs', '@kafkajs/confluent-schema-registry', 'ioredis', 'prom-client', 'avsc', 'pg', 'pg-copy-streams', 'pino',
  ...['fs', 'fs/promises', 'net', 'dgram', 'http', 'https', 'http2', 'tls', 'child_process', 'worker_threads'].flatMap((m) => [m, `node:${m}`]),
];

/**
 * Imports that break the rules above today, `from -> to` (repo-relative files, or a module
 * name). Issue 11: the join lives in services/join and partner verification in services/partner;
 * what is left here breaks the rules still. An exception that no longer occurs fails the check,
 * so this list only shrinks.
 */
export const KNOWN_EXCEPTIONS: readonly string[] = [
  // test fixtures of partner verification publish views minimised by the tracer's disclosure rules
  'services/partner/test-fixtures.ts -> services/tracer/domain/disclosure.ts',
];
