// What `crosstrace rebuild` says about the audit chains: one per audience (jurisdiction), each
// continuing from the last record Kafka committed on its own topic audit.disclosures.<CC>.
import { auditTopic } from '../../common/topics.ts';

/** The audiences with an audit chain: one topic audit.disclosures.<CC> each (the combined
 *  audit.disclosures interleaves every chain and has no head of its own). */
export const auditAudiences = (topics: string[]): string[] => {
  const prefix = auditTopic('');
  return topics.filter((t) => t.startsWith(prefix) && t.length > prefix.length).map((t) => t.slice(prefix.length)).sort();
};

/** One line per audience: where its chain continues (seq, hash of the head record). */
export function auditHeadLines(heads: { cc: string; head: { seq: number; hash: Buffer } | undefined }[]): string[] {
  if (heads.length === 0) return ['rebuild: no audit chain yet (no audit.disclosures.<CC> topic)'];
  return heads.map(({ cc, head }) => (head
    ? `rebuild: audit chain ${cc} continues after seq ${head.seq} (head ${head.hash.toString('hex').slice(0, 16)}…, read from ${auditTopic(cc)} by the tracer; nothing to rebuild)`
    : `rebuild: audit chain ${cc} is empty (${auditTopic(cc)})`));
}
