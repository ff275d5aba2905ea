import { describe, expect, it } from 'vitest';
import { isCertificatePrincipalOf, newCertificatePrincipal } from './partner-certificates.ts';

describe('partner certificate principals', () => {
  it('names each certificate after a fresh serial, a principal apart from the password login partner-CC', () => {
    const a = newCertificatePrincipal('FR');
    const b = newCertificatePrincipal('FR');
    expect(a.principal).toBe(`partner-FR.c${a.serial}`);
    expect(a.serial).toMatch(/^[0-7][0-9a-f]{31}$/);
    expect(a.principal).not.toBe(b.principal);
    expect(isCertificatePrincipalOf('FR', a.principal)).toBe(true);
    for (const other of ['partner-FR', 'partner-DE.c0a', 'partner-FR.cXY', 'partner-FR.c0a.x', 'partner-FRA.c0a', 'exporter-fr']) {
      expect(isCertificatePrincipalOf('FR', other), other).toBe(false);
    }
  });

  it('the brokers map such a CN to itself and a bare CN=partner-CC to nothing', async () => {
    const { readFileSync } = await import('node:fs');
    for (const f of ['deploy/local/kafka/server.properties.tmpl', 'deploy/security/kafka-container-config.sh']) {
      const rule = /^ssl\.principal\.mapping\.rules=RULE:\^CN=\(([^)]*)\)/m.exec(readFileSync(f, 'utf8'))?.[1] ?? '';
      const re = new RegExp(`^(${rule})$`);
      expect(re.test(newCertificatePrincipal('FR').principal), f).toBe(true);
      expect(re.test('partner-FR'), `${f}: CN=partner-FR must not map to the password principal`).toBe(false);
    }
  });
});
