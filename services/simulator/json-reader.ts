// Reads untyped JSON into typed values with defaults, collecting every problem by JSON path
// (`attacks[0].relay.vpn: ...`) instead of stopping at the first. Unknown keys are problems
// too: a typo must not fall back to a default. Pure.

export type Obj = Record<string, unknown>;

export interface JsonReader {
  readonly problems: string[];
  problem(path: string, message: string): void;
  /** An object with only `known` keys, or null (problem recorded) when it is not one. */
  obj(v: unknown, path: string, known: readonly string[]): Obj | null;
  num(o: Obj, key: string, path: string, def: number | undefined, min: number, max: number, integer?: boolean): number;
  str(o: Obj, key: string, path: string, def?: string): string;
  optStr(o: Obj, key: string, path: string): string | null;
  bool(o: Obj, key: string, path: string, def: boolean): boolean;
  oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], def?: T): T;
  span(o: Obj, key: string, path: string, def: readonly [number, number], min: number, max: number): readonly [number, number];
  strList(o: Obj, key: string, path: string, def?: string[]): string[];
}

const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

export function createJsonReader(): JsonReader {
  const problems: string[] = [];
  const problem = (path: string, message: string): void => { problems.push(`${path || '(top level)'}: ${message}`); };

  function present(o: Obj, key: string, path: string, required: boolean): unknown {
    const v = o[key];
    if (v === undefined || v === null) {
      if (required) problem(at(path, key), 'is required');
      return undefined;
    }
    return v;
  }

  return {
    problems,
    problem,
    obj(v, path, known) {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        problem(path, `must be an object, got ${Array.isArray(v) ? 'an array' : JSON.stringify(v)}`);
        return null;
      }
      for (const k of Object.keys(v)) {
        if (!known.includes(k)) problem(at(path, k), `is not a field here (known: ${known.join(', ')})`);
      }
      return v as Obj;
    },
    num(o, key, path, def, min, max, integer = false) {
      const v = present(o, key, path, def === undefined);
      if (v === undefined) return def ?? NaN;
      if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
        problem(at(path, key), `must be ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(v)}`);
        return def ?? NaN;
      }
      if (v < min || v > max) problem(at(path, key), `must be between ${min} and ${max}, got ${v}`);
      return v;
    },
    str(o, key, path, def) {
      const v = present(o, key, path, def === undefined);
      if (v === undefined) return def ?? '';
      if (typeof v !== 'string' || v === '') { problem(at(path, key), `must be a non-empty string, got ${JSON.stringify(v)}`); return def ?? ''; }
      return v;
    },
    optStr(o, key, path) {
      const v = present(o, key, path, false);
      if (v === undefined) return null;
      if (typeof v !== 'string' || v === '') { problem(at(path, key), `must be a non-empty string or null, got ${JSON.stringify(v)}`); return null; }
      return v;
    },
    bool(o, key, path, def) {
      const v = present(o, key, path, false);
      if (v === undefined) return def;
      if (typeof v !== 'boolean') { problem(at(path, key), `must be true or false, got ${JSON.stringify(v)}`); return def; }
      return v;
    },
    oneOf(o, key, path, values, def) {
      const v = present(o, key, path, def === undefined);
      if (v === undefined) return def ?? values[0]!;
      if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
        problem(at(path, key), `must be one of ${values.join(', ')}, got ${JSON.stringify(v)}`);
        return def ?? values[0]!;
      }
      return v as (typeof values)[number];
    },
    span(o, key, path, def, min, max) {
      const v = present(o, key, path, false);
      if (v === undefined) return def;
      if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        problem(at(path, key), `must be [min, max], got ${JSON.stringify(v)}`);
        return def;
      }
      const [lo, hi] = v as [number, number];
      if (lo > hi) problem(at(path, key), `min ${lo} is above max ${hi}`);
      if (lo < min || hi > max) problem(at(path, key), `must lie within ${min}..${max}, got [${lo}, ${hi}]`);
      return [lo, hi] as const;
    },
    strList(o, key, path, def) {
      const v = present(o, key, path, def === undefined);
      if (v === undefined) return def ?? [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
        problem(at(path, key), `must be a list of non-empty strings, got ${JSON.stringify(v)}`);
        return def ?? [];
      }
      return v as string[];
    },
  };
}
