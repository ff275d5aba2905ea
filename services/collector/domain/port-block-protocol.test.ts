// A port-block record (RFC 8158 natEvent 16/17) keeps the protocolIdentifier a CGN that
// allocates per protocol sends with it: the join then leaves another protocol's block of the
// same ports alone (join/methods/port-block.ts). Without it the block is for every protocol.
import { describe, expect, it } from 'vitest';
import { createFlowCollector } from './flow-collector.ts';
import { dataSet, ipfixMessage, ipfixTemplateSet, record, type WriterTemplate } from './export-writer.ts';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const resolve = () => ({ exporterId: '198.51.100.1', providerId: 'fr-telecom' });
// RFC 8158 port block allocation: time, natEvent, sourceIPv4Address, postNATSourceIPv4Address,
// portRangeStart, portRangeEnd, portRangeStepSize, portRangeNumPorts
const BLOCK: WriterTemplate = { id: 401, fields: [
  { id: 323, length: 8 }, { id: 230, length: 1 }, { id: 8, length: 4 }, { id: 225, length: 4 }, { id: 361, length: 2 }, { id: 362, length: 2 }, { id: 363, length: 2 }, { id: 364, length: 2 },
] };
// the same with protocolIdentifier (a vendor that allocates blocks per protocol)
const BLOCK_P: WriterTemplate = { id: 402, fields: [
  { id: 323, length: 8 }, { id: 230, length: 1 }, { id: 4, length: 1 }, { id: 8, length: 4 }, { id: 225, length: 4 }, { id: 361, length: 2 }, { id: 362, length: 2 },
] };
const send = (sets: Buffer[]) => createFlowCollector({ resolve }).handle({ protocol: 'ipfix', transport: 'udp', from: '198.51.100.1', receivedAt: T0,
  bytes: ipfixMessage({ exportSec: T0 / 1000, sequence: 1, domain: 1 }, [ipfixTemplateSet([BLOCK, BLOCK_P]), ...sets]) });

describe('port-block records and their protocol', () => {
  it('a per-protocol block keeps its protocolIdentifier', () => {
    const out = send([dataSet(402, [record(BLOCK_P, [T0 - 1000, 16, 6, '100.64.3.4', '198.51.100.7', 2048, 2559])])]);
    expect(out.dead).toEqual([]);
    expect(out.events[0]!.value).toMatchObject({ kind: 'PORT_BLOCK', protocol: 6, portRangeStart: 2048, portRangeEnd: 2559 });
  });
  it('a block without protocolIdentifier is for every protocol (protocol null)', () => {
    const out = send([dataSet(401, [record(BLOCK, [T0 - 1000, 16, '100.64.3.4', '198.51.100.7', 4000, 4511, 1, 512])])]);
    expect(out.dead).toEqual([]);
    expect(out.events[0]!.value).toMatchObject({ kind: 'PORT_BLOCK', protocol: null, portRangeStart: 4000, portRangeEnd: 4511 });
  });
});
