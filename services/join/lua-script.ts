// The join's Redis scripts (./lua/*.lua) as they are sent: each `--@include name` line replaced
// by ./lua/name.lua (routines several scripts share, e.g. index-one), so that every sender of a
// script (and a test of its SHA-1) reads the same text.
import { readFileSync } from 'node:fs';

export const luaScript = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8')
  .replace(/^--@include ([\w-]+)$/mg, (_, inc: string) => luaScript(inc));
