// Random secrets as text (gateway tokens, passwords, device secrets): base64url that never
// starts with '-'. A command line's parser takes a value starting with '-' for an option:
// node's parseArgs refuses `--token -abc` as ambiguous, 1 token in 64 (the fresh-clone demo met
// it). Drawn again until the first character is another: the secret is uniform over the rest,
// log2(64/63) = 0.02 bits less.
import { randomBytes } from 'node:crypto';

export function secretText(bytes: number, random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const s = random(bytes).toString('base64url');
    if (!s.startsWith('-')) return s;
  }
}
