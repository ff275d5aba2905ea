// One configuration key's contract, apart from config.ts so that modules config.ts itself
// imports (kafka-security.ts) can declare their keys without a circle of files.

export interface FieldSpec<T> {
  /** What it is, with unit and default, shown by `describeConfig` and in the README table. */
  doc: string;
  /** Used when the variable is unset or empty; omit to make the key required. */
  default?: T;
  parse(raw: string): T;
}
