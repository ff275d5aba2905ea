// RFC 8158 NAT event records -> sessions.raw: NAT44 session create/delete (4/5, and the historic 1/2),
// port block allocation/de-allocation (16/17, and 14/15 as vendors using the draft numbering send them
// with a port range), events that name no mapping ignored.
import { describe, expect, it } from 'vitest';
import { createFlowCollector } from './flow-collector.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, record, type WriterTemplate } from './export-writer.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const resolve = () => ({ exporterId: '198.51.100.1', providerId: 'fr-telecom' });
const SESSION: WriterTemplate = { id: 400, fields: [
  { id: 323, length: 8 }, { id: 8, length: 4 }, { id: 225, length: 4 }, { id: 4, length: 1 }, { id: 7, length: 2 }, { id: 227, length: 2 },
  { id: 12, length: 4 }, { id: 11, length: 2 }, { id: 230, length: 1 },
] };
const BLOCK: WriterTemplate = { id: 401, fields: [
  { id: 323, length: 8 }, { id: 230, length: 1 }, { id: 8, length: 4 }, { id: 225, length: 4 }, { id: 361, length: 2 }, { id: 362, length: 2 }, { id: 363, length: 2 }, { id: 364, length: 2 },
] };
const send = (sets: Buffer[]) => {
  const c = createFlowCollector({ resolve });
  return c.handle({ protocol: 'ipfix', transport: 'udp', from: '198.51.100.1', receivedAt: T0, bytes: ipfixMessage({ exportSec: T0 / 1000, sequence: 1, domain: 1 }, [ipfixTemplateSet([SESSION, BLOCK]), ...sets]) });
};

describe('NAT events', () => {
  it('maps NAT44 session create / delete to NAT_SESSION START / STOP', () => {
    const out = send([dataSet(400, [4, 5, 1, 2].map((ev, i) => record(SESSION, [T0 - 1000 + i, '100.64.3.4', '198.51.100.7', 6, 50000, 40001, '192.0.2.10', 443, ev])))]);
    expect(out.dead).toEqual([]);
    expect(out.events.map((e) => [e.topic, e.key, (e.value as { action: string }).action, (e.value as { natEvent: number }).natEvent])).toEqual([
      ['sessions.raw', 'fr-telecom', 'START', 4], ['sessions.raw', 'fr-telecom', 'STOP', 5], ['sessions.raw', 'fr-telecom', 'START', 1], ['sessions.raw', 'fr-telecom', 'STOP', 2],
    ]);
    expect(out.events[0]!.value).toMatchObject({ kind: 'NAT_SESSION', eventTime: T0 - 1000, insideAddr: '100.64.3.4', insidePort: 50000, outsideAddr: '198.51.100.7', outsidePort: 40001, protocol: 6 });
  });

  it('maps port block allocation / de-allocation, with an end port or a number of ports', () => {
    const out = send([dataSet(401, [
      record(BLOCK, [T0, 16, '100.64.3.4', '198.51.100.7', 40000, 40999, 1, 1000]),
      record(BLOCK, [T0 + 1, 17, '100.64.3.4', '198.51.100.7', 40000, 40999, 1, 1000]),
      record(BLOCK, [T0 + 2, 14, '100.64.3.5', '198.51.100.7', 41000, 41511, 1, 512]),
      record(BLOCK, [T0 + 3, 15, '100.64.3.5', '198.51.100.7', 41000, 41511, 0, 0]),
    ])]);
    expect(out.dead).toEqual([]);
    expect(out.events.map((e) => e.value)).toMatchObject([
      { kind: 'PORT_BLOCK', action: 'START', natEvent: 16, portRangeStart: 40000, portRangeEnd: 40999, insideAddr: '100.64.3.4', outsideAddr: '198.51.100.7', eventTime: T0 },
      { kind: 'PORT_BLOCK', action: 'STOP', natEvent: 17, portRangeStart: 40000, portRangeEnd: 40999 },
      { kind: 'PORT_BLOCK', action: 'START', natEvent: 14, portRangeStart: 41000, portRangeEnd: 41511, insideAddr: '100.64.3.5' },
      { kind: 'PORT_BLOCK', action: 'STOP', natEvent: 15, eventTime: T0 + 3 },
    ]);
  });

  it('ignores events that name no mapping, refuses non-contiguous blocks and blocks that are no range', () => {
    const out = send([dataSet(401, [
      record(BLOCK, [T0, 3, '100.64.3.4', '198.51.100.7', 0, 0, 0, 0]),
      record(BLOCK, [T0, 16, '100.64.3.4', '198.51.100.7', 40000, 40999, 4, 250]),
      record(BLOCK, [T0, 16, '100.64.3.4', '198.51.100.7', 40000, 30000, 1, 0]),
    ])]);
    expect(out.ignored).toBe(1);
    expect(out.dead.map((d) => [d.code, d.reason.includes('portRangeStepSize') || d.reason.includes('not a range')])).toEqual([['CT_UNMAPPED_RECORD', true], ['CT_UNMAPPED_RECORD', true]]);
  });
});
