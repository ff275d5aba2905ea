// Decimal digits written into a Buffer by a JS loop (RESP's `*n` and `$len` heads): a template
// string and a latin1 write per head cost a string and a call into C++ each. Pure.

/** Writes a non-negative integer's decimal digits at `at`; returns where they end. */
export function putDecimal(b: Buffer, at: number, n: number): number {
  if (n < 10) { b[at] = 48 + n; return at + 1; }
  let digits = 1;
  for (let v = n; v >= 10; v = Math.floor(v / 10)) digits++;
  for (let i = digits - 1, v = n; i >= 0; i--, v = Math.floor(v / 10)) b[at + i] = 48 + (v % 10);
  return at + digits;
}
