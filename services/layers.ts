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
  { name: 'stages', folders: ['services/collector', 'services/ingest', 'services/correlator', 'services/archive', 'services/tracer', 'services/gateway'] },
  { name: 'tools', folders: ['services/cli', 'services/simulator'] },
];

/** Tests (*.test.ts) may also import these, for their inputs (seeded traffic with ground truth). */
export const TEST_DATA_FOLDERS: readonly string[] = ['services/simulator'];

/** Pure logic: no I/O, no Kafka/Redis/metrics/Avro/database client. */
export const DOMAIN_FOLDERS: readonly string[] = ['services/*/domain', 'services/join/methods'];
export const IO_MODULES: readonly string[] = [
  'kafkajs', '@kafkajs/confluent-schema-registry', 'ioredis', 'prom-client', 'avsc', 'pg', 'pg-copy-streams', 'pino',
  ...['fs', 'fs/promises', 'net', 'dgram', 'http', 'https', 'http2', 'tls', 'child_process', 'worker_threads'].flatMap((m) => [m, `node:${m}`]),
];

/**
 * Imports that break the rules above today, `from -> to` (repo-relative files, or a module
 * name). Issue 11: they go when the join moves to services/join (window-store, Lua, join.ts,
 * join-types, the matchers from correlator/domain) and partner verification becomes one module
 * used by cli and gateway; both wait for branches that edit those files. An exception that no
 * longer occurs fails the check, so this list only shrinks.
 */
export const KNOWN_EXCEPTIONS: readonly string[] = [
  // the join engine sits in common (kit) but calls the matchers in correlator/domain and join/methods
  'services/common/join.ts -> services/correlator/domain/session-match.ts',
  'services/common/join.ts -> services/correlator/domain/deterministic-nat.ts',
  'services/common/join.ts -> services/correlator/domain/relay-timing.ts',
  'services/common/join.ts -> services/join/methods/index.ts',
  'services/common/provider-directory.ts -> services/join/methods/session-ages.ts',
  'services/join/methods/descriptor.ts -> services/correlator/domain/session-intervals.ts',
  // the archive reuses the correlator's session kinds (join material, to move with the matchers)
  'services/archive/domain/archive-rows.ts -> services/correlator/domain/session-kinds.ts',
  // the gateway renders and verifies with the cli's partner code
  'services/gateway/follower.ts -> services/cli/domain/audit-ledger.ts',
  'services/gateway/follower.ts -> services/cli/domain/update-verifier.ts',
  'services/gateway/follower.ts -> services/cli/topic-follower.ts',
  'services/gateway/follower.ts -> services/cli/trust-file.ts',
  'services/gateway/main.ts -> services/cli/trust-file.ts',
  'services/gateway/api-server.test.ts -> services/cli/domain/test-fixtures.ts',
  'services/gateway/trace-book.test.ts -> services/cli/domain/test-fixtures.ts',
  // a test helper encodes Avro in a domain folder
  'services/cli/domain/test-fixtures.ts -> avsc',
];
