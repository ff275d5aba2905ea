// The chaos run's scenario: deploy/scenarios/default.json's world with `chains` attacks instead
// of one, started `spacingMs` apart so that traces are opening, waiting and resolving while
// each fault hits. Two kinds alternate: the default relay chain (FR CGN port block -> FR
// subscriber relaying -> DE VPN -> US subscriber, four hops) and a direct chain into the JP
// RFC 7422 provider (deterministic NAT -> JP subscriber). Every attack has its own victim
// server, so each trace request is its own.
import { readFileSync } from 'node:fs';

export interface ChaosScenarioOptions {
  /** Attack chains, each traced (>= 1). */
  chains: number;
  /** Background raw events per second. */
  rate: number;
  /** First attack starts this long after the simulator, ms. */
  firstAttackMs: number;
  /** Between two attacks' starts, ms. */
  spacingMs: number;
  /** The simulator's run length, ms (all traces open before it ends). */
  durationMs: number;
  /** deploy/scenarios/default.json (the world the attacks live in). */
  baseFile: string;
}

type Raw = Record<string, unknown> & { providers: Record<string, Record<string, unknown>>; attacks: Record<string, unknown>[]; background: Record<string, unknown> };

export function chaosScenario(o: ChaosScenarioOptions): Raw {
  if (!Number.isInteger(o.chains) || o.chains < 1) throw new Error(`chains must be a whole number >= 1 (got ${o.chains})`);
  const base = JSON.parse(readFileSync(o.baseFile, 'utf8')) as Raw;
  const relay = base.attacks[0]!;
  const attacks = Array.from({ length: o.chains }, (_, i) => {
    const startOffsetMs = o.firstAttackMs + i * o.spacingMs;
    const common = {
      victim: { provider: 'gb-victimhost', server: i, port: 443 }, startOffsetMs,
      // the attack outlasts the run: the chain is live (sessions open) while faults hit it
      durationMs: Math.max(120_000, o.durationMs - startOffsetMs + 60_000), observeAfterMs: 10_000, sessionTailMs: 30_000,
      trace: { openAfterMs: 20_000, toleranceMs: 5_000, legalBasis: 'ART33_REALTIME_TRAFFIC', expiresAfterMs: 3_600_000 },
      withhold: {}, decoys: 'resolvable',
    };
    return i % 4 === 3
      ? { ...common, name: `chaos-detnat-${i}`, entry: 'jp-mobile', relay: null, trace: { ...common.trace, legalBasis: 'ART29_PRESERVATION' } }
      : { ...common, name: `chaos-relay-${i}`, entry: 'fr-telecom', relay: relay.relay };
  });
  return {
    ...base,
    name: 'chaos',
    description: `make chaos: ${o.chains} traced attack chains (relay chains through FR, DE, US and RFC 7422 chains into JP), ${o.spacingMs / 1000} s apart, amid ${o.rate} background events/s.`,
    durationMs: o.durationMs,
    providers: {
      ...base.providers,
      'gb-victimhost': { ...base.providers['gb-victimhost'], servers: Math.max(8, o.chains + 1) },
      'fr-telecom': { ...base.providers['fr-telecom'], subscribers: Math.max(300, 4 * o.chains) },
      'us-access': { ...base.providers['us-access'], subscribers: Math.max(300, 4 * o.chains) },
      'jp-mobile': { ...base.providers['jp-mobile'], subscribers: Math.max(200, 4 * o.chains) },
      'de-vpn': { ...base.providers['de-vpn'], clients: Math.max(60, 3 * o.chains) },
    },
    background: { ...base.background, eventsPerSecond: o.rate },
    attacks,
  };
}
