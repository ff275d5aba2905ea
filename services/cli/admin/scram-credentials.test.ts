import { describe, expect, it } from 'vitest';
import { decodeAlterScramResponse, encodeAlterScramRequest, saltedPassword } from './scram-credentials.ts';

describe('AlterUserScramCredentials v0', () => {
  it('salts with PBKDF2-HMAC-SHA-512 (RFC 5802 Hi), 64 bytes', () => {
    const a = saltedPassword('pencil', Buffer.from('salt'), 4096);
    expect(a).toHaveLength(64);
    expect(saltedPassword('pencil', Buffer.from('salt'), 4096)).toEqual(a);
    expect(saltedPassword('pencil', Buffer.from('salu'), 4096)).not.toEqual(a);
  });

  it('encodes header tags, deletions and upsertions as compact arrays', () => {
    const body = encodeAlterScramRequest(['old'], [{ name: 'u', password: 'p' }], () => Buffer.alloc(2, 7));
    // [0 header tags][2 = one deletion][4 'old' + 1][o l d][mech 2][0 tags][2 = one upsertion][2 'u'+1]...
    expect([...body.subarray(0, 9)]).toEqual([0, 2, 4, 0x6f, 0x6c, 0x64, 2, 0, 2]);
    expect(body.subarray(9, 11).toString()).toBe('\u0002u');
    expect(body.readInt32BE(12)).toBe(4096);
    expect([...body.subarray(16, 19)]).toEqual([3, 7, 7]);
    expect(body[19]).toBe(65); // 64-byte salted password, compact length 65
    expect(body.length).toBe(19 + 1 + 64 + 2);
  });

  it('decodes per-user results', () => {
    const msg = Buffer.from('nope');
    const buf = Buffer.concat([Buffer.from([0]), Buffer.alloc(4), Buffer.from([3]), Buffer.from([2]), Buffer.from('a'), Buffer.from([0, 0]), Buffer.from([0]), Buffer.from([0]),
      Buffer.from([2]), Buffer.from('b'), Buffer.from([0, 58]), Buffer.from([msg.length + 1]), msg, Buffer.from([0]), Buffer.from([0])]);
    expect(decodeAlterScramResponse(buf)).toEqual([{ user: 'a', errorCode: 0, errorMessage: null }, { user: 'b', errorCode: 58, errorMessage: 'nope' }]);
  });
});
