// The scenario file (deploy/scenarios/*.json): which providers of deploy/providers.json take
// part and in which role, how their exporters behave, the background load, and the traced
// attacks. Providers, exporters and jurisdictions are referenced by the ids of the provider
// registry; scenario-schema.ts checks the shape, scenario-validate.ts every reference and reports problems by JSON path.
// Every omitted field takes the default documented here. Units: ms unless said otherwise.
import type { LegalBasis } from '../../schemas/types.gen.ts';

/** [min, max], inclusive, drawn uniformly. */
export type Span = readonly [number, number];

export interface ExporterSettings {
  /** Exporter clock minus true time, ms (e.g. -2000..2000). Default 0. */
  clockSkewMs: number;
  /** From a record closing at the device to it reaching Kafka, ms, uniform. Default [50, 500]. */
  exportDelayMs: Span;
  /** Flow active timeout: a running flow is reported (ACTIVE_TIMEOUT record) this often, ms. Default 10000. */
  activeTimeoutMs: number;
  /** Flow idle timeout: a flow silent this long ends with IDLE_TIMEOUT, exported then, ms. Default 15000. */
  idleTimeoutMs: number;
}

export interface PortBlockNat {
  mode: 'port-block';
  /** CGN logging device (PORT_BLOCK records, natEvent 14 allocate / 15 release). Required. */
  exporter: string;
  /** Public IPv4 pool, CIDR within the provider's prefixes. Required. */
  outsidePrefix: string;
  /** Public addresses in use (blocks packed onto them, so subscribers share addresses). Default: enough for 1.5 blocks per subscriber. */
  outsideAddresses: number;
  /** Ports per block. Default 512. */
  blockSize: number;
  /** First port of the first block. Default 1024. */
  firstPort: number;
  /** Chance a subscriber holds a second block (on another address), 0..1. Default 0.1. */
  extraBlockProbability: number;
}

/** RFC 7422: the provider publishes its rule (deploy/providers.json deterministicNat[0]) instead of logs. */
export interface DeterministicNat { mode: 'deterministic' }

export interface AccessRole {
  role: 'access';
  /** Subscribers with an access session, count. Default 200. */
  subscribers: number;
  /** RADIUS accounting device (ACCESS_SESSION records). Required. */
  aaaExporter: string;
  /** Flow exporter (inside the CGN when behind NAT: it sees inside addresses); null = none. Default null. */
  flowExporter: string | null;
  /** IPv4 pool of Framed-IP-Address, CIDR; inside (e.g. 100.64/10) space when behind NAT. Required. */
  framedPrefix: string;
  /** Dual stack: Framed-IPv6-Prefix /64 and Delegated-IPv6-Prefix /56 from `poolPrefix`, for `share` of subscribers. Default null. */
  ipv6: { poolPrefix: string; share: number } | null;
  /** NAT in front of the framed addresses; null = framed addresses are public. Default null. */
  nat: PortBlockNat | DeterministicNat | null;
  /** Chance an accounting record carries Acct-Delay-Time > 0, 0..1. Default 0.2. */
  acctDelayProbability: number;
  /** Acct-Delay-Time when > 0, seconds. Default [1, 8]. */
  acctDelaySeconds: Span;
}

export interface VpnRole {
  role: 'vpn';
  /** VPN gateway logging device (VPN_SESSION records). Required. */
  exporter: string;
  /** Flow exporter at the exits; null = none. Default null. */
  flowExporter: string | null;
  /** Exit IPv4 pool, CIDR within the provider's prefixes. Required. */
  exitPrefix: string;
  /** Exit addresses in use. Default 4. */
  exitAddresses: number;
  /** Address clients connect to (WireGuard, udp/51820). Default: the last address of exitPrefix. */
  gatewayAddr: string | null;
  /** VPN accounts, count. Default 50. */
  clients: number;
  /** Access providers (role access, no NAT) whose subscribers are the clients. Required, non-empty. */
  clientsFrom: string[];
  /** New exit mappings (VPN_SESSION start..stop) per minute, all clients together. Default 60. */
  mappingsPerMinute: number;
}

export interface HostingRole {
  role: 'hosting';
  /** Flow exporter in front of the servers. Required. */
  flowExporter: string;
  /** Server addresses, CIDR within the provider's prefixes. Required. */
  serverPrefix: string;
  /** Servers, count (the first ones are the attacks' victims). Default 8. */
  servers: number;
}

export type ProviderRole = AccessRole | VpnRole | HostingRole;

export interface BackgroundSettings {
  /** Background raw events per second (flows and sessions together), target. Default 500. */
  eventsPerSecond: number;
  /** Share of background flow records that are interim/final records of long flows, 0..1. Default 0.3. */
  longFlowShare: number;
  /** Sessions already running at the start began up to this long before it, ms (<= 20 h). Default 7200000. */
  historyMs: number;
  /** RADIUS Interim-Update interval, ms. Default 300000. */
  acctInterimIntervalMs: number;
  /** Access sessions ending (and a new one starting) per subscriber per hour. Default 0.5. */
  sessionChurnPerHour: number;
  /** Chance a new access session gets another framed address (address reuse across subscribers), 0..1. Default 0.5. */
  addressChangeProbability: number;
  /** Chance any session record is never logged, 0..1. Default 0.01. */
  missingLogProbability: number;
  /** Chance a STOP / release / delete is lost, 0..1. Default 0.05. */
  lostStopProbability: number;
  /** Chance a STOP arrives late, 0..1. Default 0.1. */
  lateStopProbability: number;
  /** How late such a STOP arrives, ms. Default 30000. */
  lateStopDelayMs: number;
  /** Chance a short flow record is deliberately bad (unknown exporter, bad port, inverted times, bad address), 0..1. Default 0. */
  badEventProbability: number;
  /** Address space of the rest of the internet (owned by no provider), CIDR. Default ["2001:db8:f000::/36", "7.0.0.0/8"]. */
  elsewhere: string[];
  /** Relative share of background flows per flow exporter id; null = by endpoint counts. Default null. */
  flowWeights: Record<string, number> | null;
}

/** Records of a chain that can be withheld: released this long after the trace opens. */
export const CHAIN_STEPS = ['entry-nat', 'entry-access', 'relay-flows', 'vpn', 'origin-access'] as const;
export type ChainStep = typeof CHAIN_STEPS[number];

export interface AttackSettings {
  /** Unique name; part of the trace id. Required. */
  name: string;
  /** The victim: a server of a hosting provider; its jurisdiction requests the trace. */
  victim: { provider: string; server: number; port: number };
  /** Access provider whose (NATed) address the victim sees. Required. */
  entry: string;
  /** The entry subscriber relays for a VPN client: relay timing at the entry, then VPN, then origin. Default null. */
  relay: null | {
    vpn: string;
    origin: string;
    /** The client reaches the VPN over IPv6 from its delegated /56. Default false. */
    originIpv6: boolean;
    /** Unrelated inbound flows to the relay host overlapping the attack, count. Default 40. */
    concurrentInbound: number;
    /** Port the relay listens on. Default 1080. */
    relayPort: number;
  };
  /** Attack starts this long after the simulator starts, ms. Default 15000. */
  startOffsetMs: number;
  /** Attack connection lasts, ms. Default 180000. */
  durationMs: number;
  /** The victim's observation (observedTime) lies this long after the attack starts, ms. Default 10000. */
  observeAfterMs: number;
  /** The chain's sessions end this long after the attack, ms. Default 60000. */
  sessionTailMs: number;
  /** The chain's access sessions (and port blocks) started this long before the attack, ms (a
   *  historical trace: sessions weeks old); null = within background.historyMs. Default null. */
  sessionsStartedBeforeMs: number | null;
  trace: {
    /** The trace request is opened this long after the attack starts, ms. Default 25000. */
    openAfterMs: number;
    /** TraceRequest.toleranceMs. Default 5000. */
    toleranceMs: number;
    legalBasis: LegalBasis;
    /** Default "<CC>-<name>-<runId>". */
    caseReference: string | null;
    /** expiresAt = requestedAt + this, ms. Default 3600000. */
    expiresAfterMs: number;
  };
  /** Chain records released only this long after the trace opens (late evidence), ms per step. Default {}. */
  withhold: Partial<Record<ChainStep, number>>;
  /**
   * Planted decoys (previous holders of the block, the addresses, the exit port; other clients
   * on the exit): none; resolvable = their STOPs are logged, time alone rules them out;
   * lost-stops = their STOPs are lost, only the true, later START supersedes them (with
   * withheld evidence the join must revise its answer when that START arrives). Default resolvable.
   */
  decoys: 'none' | 'resolvable' | 'lost-stops';
}

export interface Scenario {
  name: string;
  description: string;
  /** PRNG seed: same seed, same start time -> same events. Required. */
  seed: number;
  /** Run length after which the simulator stops, ms. Default 300000. */
  durationMs: number;
  /** Role of each taking-part provider, by providerId. */
  providers: Record<string, ProviderRole>;
  /** Defaults for every exporter. */
  exporterDefaults: ExporterSettings;
  /** Per-exporter overrides, by exporterId. */
  exporters: Record<string, Partial<ExporterSettings>>;
  background: BackgroundSettings;
  attacks: AttackSettings[];
}
