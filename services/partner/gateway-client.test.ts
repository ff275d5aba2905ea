import { describe, expect, it } from 'vitest';
import { gatewayTarget, refusal } from './gateway-client.ts';

describe('gateway client target', () => {
  it('needs https, except to a gateway on this host; flags win over the environment', () => {
    expect(() => gatewayTarget({ gateway: 'http://gw.example:9443', token: 't' }, {})).toThrow(/use https:\/\/ \(plain http:\/\/ only to a gateway on this host/);
    expect(gatewayTarget({ gateway: 'http://127.0.0.1:9443', token: 't' }, {}).base.href).toBe('http://127.0.0.1:9443/');
    expect(gatewayTarget({ gateway: 'http://[::1]:9443/', token: 't' }, {}).base.protocol).toBe('http:');
    expect(gatewayTarget({}, { CROSSTRACE_API_URL: 'https://gw.example:9443/api', CROSSTRACE_API_TOKEN: 't' }).base.href).toBe('https://gw.example:9443/api/');
    expect(() => gatewayTarget({ gateway: 'https://gw.example' }, {})).toThrow(/--token TOKEN/);
    expect(() => gatewayTarget({ gateway: 'https://gw.example', token: 't', 'gateway-ca': '/nonexistent/ca.pem' }, {})).toThrow(/--gateway-ca \/nonexistent\/ca.pem: ENOENT/);
  });
  it('prints what the gateway said with control characters escaped', () => {
    expect(refusal(404, { error: { code: 'not_found', message: 'no trace a\nGB VERIFIED' } })).toBe('gateway answered 404: not_found: no trace a\\nGB VERIFIED');
  });
});
