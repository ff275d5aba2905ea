// Simulator settings. Own keys: CROSSTRACE_SIMULATOR_*. The scenario file holds the world and
// the attacks; these keys say where it is and override a few of its fields for one run.
import { bool, commonSpec, defineConfig, int, oneOf, str, type FieldSpec } from '../common/config.ts';

const DAY = 86_400_000;

export type SeedChoice = 'run' | 'scenario' | number;

const seed: FieldSpec<SeedChoice> = {
  doc: 'PRNG seed: run = the scenario\'s seed mixed with the run id (a new world each run, so reruns on one stack do not meet their predecessors\' flows and sessions in the 24 h windows); scenario = the scenario\'s seed (same addresses, handles and ports every run); or a number.',
  default: 'run',
  parse(r) {
    if (r === 'run' || r === 'scenario') return r;
    if (/^\d+$/.test(r) && Number(r) <= 0xffffffff) return Number(r);
    throw new Error('must be run, scenario or a whole number 0..4294967295');
  },
};

export const simulatorConfig = defineConfig('CROSSTRACE_SIMULATOR_', {
  ...commonSpec,
  CROSSTRACE_SIMULATOR_HTTP_PORT: int('Port of /metrics and /healthz.', 9105, 0, 65535),
  CROSSTRACE_SIMULATOR_SCENARIO_FILE: str('Scenario file (see services/simulator/scenario.ts).', 'deploy/scenarios/default.json'),
  CROSSTRACE_SIMULATOR_PROVIDERS_FILE: str('Provider registry the scenario refers to.', 'deploy/providers.json'),
  CROSSTRACE_SIMULATOR_GROUND_TRUTH_FILE: str('Where the ground truth JSON is written; empty = .stack/ground-truth/<scenario name>.json.', ''),
  CROSSTRACE_SIMULATOR_DURATION_MS: int('Run length, ms; 0 = the scenario\'s durationMs.', 0, 0, 30 * DAY),
  CROSSTRACE_SIMULATOR_RATE: int('Background raw events per second; -1 = the scenario\'s background.eventsPerSecond.', -1, -1, 1_000_000),
  CROSSTRACE_SIMULATOR_SEED: seed,
  CROSSTRACE_SIMULATOR_OPEN_TRACE: bool('Produce each attack\'s TraceRequest to trace.requests at its trace.openAfterMs (the demo does).', false),
  CROSSTRACE_SIMULATOR_PARTITIONS: int('Partitions of topics created when missing.', 6, 1, 1024),
  CROSSTRACE_SIMULATOR_TICK_MS: int('How often due records are collected and handed to the producer, ms.', 50, 5, 1_000),
  CROSSTRACE_SIMULATOR_MAX_BATCH: int('Most records in one producer sendBatch.', 4_000, 1, 100_000),
  CROSSTRACE_SIMULATOR_MAX_IN_FLIGHT: int('Most sendBatch requests outstanding at once.', 4, 1, 64),
  CROSSTRACE_SIMULATOR_PROGRESS: oneOf('Progress line on stderr every second: auto (rewritten in place on a TTY unless CI=true, plain lines otherwise), plain, off.', ['auto', 'plain', 'off'] as const, 'auto'),
  CROSSTRACE_SIMULATOR_PAST_MS: int('Replay a communication this long ago, ms: the world is built for now - PAST_MS and the whole run is produced at once, as a provider\'s handover of its retained logs (exportTime = the handover); no trace is opened (open it as a jurisdiction would: crosstrace trace open). 0 = live, in real time.', 0, 0, 400 * DAY),
  CROSSTRACE_SIMULATOR_EXIT_WHEN_DONE: bool('Exit when the run is over (false: keep serving /metrics until SIGTERM).', true),
  CROSSTRACE_SIMULATOR_OUTPUT: oneOf('avro = every record produced to Kafka (Avro, as a provider-side producer would); wire = flow records and port blocks sent as IPFIX, access sessions as RADIUS accounting, over UDP to the collector, from each device\'s own loopback address (VPN sessions and deliberately bad records stay on Avro).', ['avro', 'wire'] as const, 'avro'),
  CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE: str('Wire mode: the devices file (addresses, NAS secrets, pseudonym key) that node services/simulator/wire-devices.ts writes; the collector reads the same file as its RADIUS file.', ''),
  CROSSTRACE_SIMULATOR_COLLECTOR_HOST: str('Wire mode: the collector\'s address.', '127.0.0.1'),
  CROSSTRACE_SIMULATOR_IPFIX_PORT: int('Wire mode: the collector\'s IPFIX UDP port.', 4739, 1, 65535),
  CROSSTRACE_SIMULATOR_RADIUS_PORT: int('Wire mode: the collector\'s RADIUS accounting UDP port.', 1813, 1, 65535),
}, (c) => (c.CROSSTRACE_SIMULATOR_OUTPUT === 'wire' && !c.CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE
  ? ['CROSSTRACE_SIMULATOR_WIRE_DEVICES_FILE is required when CROSSTRACE_SIMULATOR_OUTPUT=wire (node services/simulator/wire-devices.ts writes it)'] : []));

export type SimulatorConfig = ReturnType<typeof simulatorConfig.parse>;
