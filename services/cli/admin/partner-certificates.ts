// A partner's TLS client certificates, each its own Kafka principal. `partner add` issues a
// certificate with CN=partner-<CC>.c<serial> (the certificate's serial number, hex), which the
// broker's ssl.principal.mapping.rules map to the principal of the same name (never to the
// password principal partner-<CC>: a bare CN=partner-<CC> maps to no principal with rights).
// Kafka checks no revocation list, so revoking a certificate is deleting its principal's
// bindings: `partner add` keeps only the certificate it just issued, `partner remove` none —
// a certificate that leaked or was handed to an earlier contact reaches nothing, for the rest
// of its 90 days as after re-onboarding.
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import { partnerPrincipal } from './acl-file.ts';
import { brokerBindings, deleteBindings, principalsWithBindings } from './acl-broker.ts';

/** A fresh certificate serial (128 random bits, hex: positive once read as an X.509 serial) and
 *  the principal of the certificate that carries it. */
export function newCertificatePrincipal(cc: string): { serial: string; principal: string } {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  const serial = bytes.toString('hex');
  return { serial, principal: `${partnerPrincipal(cc)}.c${serial}` };
}

/** Whether `principal` is one of `cc`'s certificate principals. */
export const isCertificatePrincipalOf = (cc: string, principal: string): boolean =>
  new RegExp(`^${partnerPrincipal(cc)}\\.c[0-9a-f]+$`).test(principal);

/** Every certificate principal of `cc` that has a binding on the broker. */
export async function certificatePrincipals(admin: Admin, cc: string): Promise<string[]> {
  return (await principalsWithBindings(admin)).filter((p) => isCertificatePrincipalOf(cc, p));
}

/** Deletes the bindings of `cc`'s certificate principals other than `keep`; returns the
 *  principals revoked. */
export async function revokeCertificates(admin: Admin, cc: string, keep?: string): Promise<string[]> {
  const revoked = (await certificatePrincipals(admin, cc)).filter((p) => p !== keep);
  for (const p of revoked) await deleteBindings(admin, await brokerBindings(admin, p));
  return revoked;
}
