import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientPropertiesText, describeKafkaSecurity, kafkajsSecurity, parseClientProperties, resolveKafkaSecurity, SCRAM_LIBRDKAFKA_NOTE } from './kafka-security.ts';

const dir = mkdtempSync(join(tmpdir(), 'kafka-security-test-'));
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
writeFileSync(join(dir, 'ca.pem'), CA);
const file = (name: string, text: string): string => { writeFileSync(join(dir, name), text); return join(dir, name); };

describe('kafka client security', () => {
  it('is PLAINTEXT when nothing is configured', () => {
    const sec = resolveKafkaSecurity({});
    expect(sec.protocol).toBe('PLAINTEXT');
    expect(kafkajsSecurity(sec)).toEqual({});
  });

  it('reads a librdkafka properties file (relative CA beside the file) into kafkajs ssl + sasl', () => {
    const p = file('fr.properties', '# partner FR\nbootstrap.servers=127.0.0.1:1,127.0.0.1:2\nsecurity.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=partner-FR\nsasl.password=s3cret=x\nssl.ca.location=ca.pem\n');
    const sec = resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: p });
    expect(sec.bootstrap).toEqual(['127.0.0.1:1', '127.0.0.1:2']);
    expect(kafkajsSecurity(sec)).toEqual({
      ssl: { ca: [CA], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'partner-FR', password: 's3cret=x' },
    });
    expect(describeKafkaSecurity(sec)).not.toContain('s3cret');
  });

  it('lets explicit variables win over the file', () => {
    const p = file('a.properties', 'security.protocol=SASL_SSL\nsasl.mechanisms=SCRAM-SHA-512\nsasl.username=a\nsasl.password=b\n');
    const sec = resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: p, KAFKA_SASL_USERNAME: 'other' });
    expect(sec.sasl?.username).toBe('other');
  });

  it('names every missing or bad key, never the password', () => {
    const p = file('bad.properties', 'security.protocol=SASL_SSL\nsasl.mechanisms=GSSAPI\nsasl.password=hunter2\nssl.ca.location=missing.pem\n');
    let msg = '';
    try { resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: p }); } catch (e) { msg = (e as Error).message; }
    expect(msg).toContain('sasl.mechanisms in');
    expect(msg).toContain('sasl.username in');
    expect(msg).toContain('missing.pem');
    expect(msg).not.toContain('hunter2');
  });

  it('takes a client certificate for a mutual-TLS listener', () => {
    file('c.crt.pem', 'CERT');
    file('c.key.pem', 'KEY');
    const p = file('tls.properties', 'security.protocol=SSL\nssl.certificate.location=c.crt.pem\nssl.key.location=c.key.pem\nssl.ca.location=ca.pem\n');
    expect(kafkajsSecurity(resolveKafkaSecurity({ KAFKA_CLIENT_PROPERTIES: p }))).toEqual({ ssl: { ca: [CA], cert: 'CERT', key: 'KEY', rejectUnauthorized: true } });
  });

  it('writes properties that read back the same', () => {
    const text = clientPropertiesText({ bootstrap: ['h:1'], username: 'partner-DE', password: 'pw', caLocation: '/x/ca.pem', comment: 'partner DE' });
    expect(Object.fromEntries(parseClientProperties(text))).toEqual({
      'bootstrap.servers': 'h:1', 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'partner-DE', 'sasl.password': 'pw', 'ssl.ca.location': '/x/ca.pem',
    });
    expect(() => clientPropertiesText({ bootstrap: ['h:1'], username: 'a\nsasl.username=admin', password: 'p', caLocation: 'c' })).toThrow(/line break/);
    // a SCRAM file says which librdkafka can log in with it (comments: no client reads them)
    expect(text.split('\n').slice(0, 4)).toEqual(['# partner DE', ...SCRAM_LIBRDKAFKA_NOTE.split('\n').map((l) => `# ${l}`)]);
    expect(clientPropertiesText({ bootstrap: ['h:1'], certificateLocation: 'c.pem', keyLocation: 'k.pem', caLocation: 'ca.pem' })).not.toContain('librdkafka');
  });
});
