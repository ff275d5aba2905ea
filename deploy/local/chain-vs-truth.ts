// make demo's last check: the live chain of the simulator's first attack, read through the
// gateway, against the simulator's ground truth, hop by hop: each true hop must be in the chain
// (same method, jurisdiction, provider, observed and leads-to endpoints; the chain is a tree,
// so a subscriber hop and a relay hop from one endpoint share a depth there), and the
// subscriber handle it ends at (read with the terminal jurisdiction's own token: only that
// jurisdiction's view carries it). The same check runs on an Avro run and a DEMO_WIRE=1 run,
// so both resolve the same chain. Prints one line per hop; exit 1 on any difference.
//   node deploy/local/chain-vs-truth.ts <ground-truth.json> <gateway base URL> <partners dir> [trace id]
// (the trace id, when the trace was opened under another id than the truth's: the historical one)
// (the gateway's certificate is checked against CROSSTRACE_API_CA, as the CLI does)
import { readFileSync } from 'node:fs';
import type { Hop } from '../../schemas/types.gen.ts';
import { callGateway, gatewayTarget } from '../../services/partner/gateway-client.ts';
import type { GroundTruth, TruthHop } from '../../services/simulator/ground-truth.ts';

const [truthPath, gateway, partners, traceId] = process.argv.slice(2);
if (!truthPath || !gateway || !partners) { console.error('usage: chain-vs-truth.ts <ground-truth.json> <gateway URL> <partners dir>'); process.exit(2); }
const first = (JSON.parse(readFileSync(truthPath, 'utf8')) as GroundTruth).traces[0]!;
const truth = traceId ? { ...first, traceId } : first;

async function view(cc: string): Promise<Hop[]> {
  const token = readFileSync(`${partners}/${cc}.gateway-token`, 'utf8').trim();
  const r = await callGateway(gatewayTarget({ gateway, token }, process.env), 'GET', `/v1/traces/${encodeURIComponent(truth.traceId)}`);
  if (r.status !== 200) throw new Error(`gateway answered ${r.status} for ${cc}'s view of ${truth.traceId}`);
  return (r.json as { update: { hops: Hop[] } }).update.hops;
}

const ep = (a: string | null, p: number | null) => (a === null ? '-' : p === null ? a : `${a}:${p}`);
const hops = await view(truth.request.requestingJurisdiction);
let bad = 0;
const line = (h: Hop) => `${h.method} ${h.jurisdiction} ${h.providerId} ${ep(h.observedAddr, h.observedPort)} -> ${ep(h.leadsToAddr, h.leadsToPort)}`;
const trueLine = (t: TruthHop) => `${t.method} ${t.jurisdiction} ${t.providerId} ${ep(t.observed.addr, t.observed.port)} -> ${ep(t.leadsTo?.addr ?? null, t.leadsTo?.port ?? null)}`;
for (const t of truth.hops) {
  const want = trueLine(t);
  const got = hops.filter((h) => line(h) === want).sort((a, b) => a.rank - b.rank)[0];
  if (!got) bad++;
  console.log(`chain-vs-truth: true hop ${t.depth} ${got ? `found (depth ${got.depth}, rank ${got.rank}, confidence ${got.confidence.toFixed(2)})` : 'MISSING'}: ${want}`);
}
const extra = hops.filter((h) => h.rank === 1 && !truth.hops.some((t) => trueLine(t) === line(h)));
for (const h of extra) { bad++; console.log(`chain-vs-truth: best-ranked hop not in the truth: ${line(h)}`); }
const term = truth.terminal;
const own = (await view(term.jurisdiction)).filter((h) => h.subscriberHandle !== null && h.providerId === term.providerId).sort((a, b) => b.depth - a.depth || a.rank - b.rank)[0];
const handleOk = own?.subscriberHandle === term.subscriberHandle;
if (!handleOk) bad++;
console.log(`chain-vs-truth: ends at ${term.jurisdiction} ${term.providerId} subscriber ${own?.subscriberHandle ?? '(none)'} ${handleOk ? 'as true' : `DIFFERS (true: ${term.subscriberHandle})`}`);
console.log(bad === 0 ? `chain-vs-truth: the chain is the true one, ${truth.hops.length} hops` : `chain-vs-truth: ${bad} difference(s) from the ground truth`);
process.exit(bad === 0 ? 0 : 1);
