/**
 * Field tables for on-media structures: one definition (name, byte offset, size) per field,
 * used by the file system, mkfs, fsck, the inspector and the format test (which checks that
 * FORMAT.md's tables say the same thing).
 *
 * Layer: format (fs-layout/). Imports nothing.
 *
 * Invariants, asserted when a table is defined (at module load, like NOVA's BUILD_BUG_ON):
 * fields are listed in offset order, contiguous (no gaps, no overlaps: padding is an explicit
 * `reserved*` field that must be zero), and add up to the declared structure size; every
 * 8-byte field sits at an 8-byte aligned offset (commit words need it, and reads of 64-bit
 * fields rely on it).
 */

export interface FieldDef {
  readonly offset: number;
  readonly size: number;
  readonly name: string;
  readonly description: string;
}

export interface StructDef<N extends string> {
  /** The name FORMAT.md uses for this table (`struct: <name>`). */
  readonly name: string;
  readonly size: number;
  readonly fields: readonly FieldDef[];
  /** Byte offset of each field from the structure's start. */
  readonly off: { readonly [K in N]: number };
  /** Size in bytes of each field. */
  readonly len: { readonly [K in N]: number };
}

/** Every structure defined, for the format test and the inspector. */
export const ALL_STRUCTS: StructDef<string>[] = [];

/** Thrown at module load when a table is malformed: a bug in fs-layout, never bad media. */
export class LayoutDefinitionError extends Error {
  constructor(message: string) {
    super(`fs-layout definition error: ${message}`);
    this.name = 'LayoutDefinitionError';
  }
}

export function defineStruct<N extends string>(
  name: string,
  size: number,
  fields: ReadonlyArray<readonly [offset: number, size: number, name: N, description: string]>,
): StructDef<N> {
  const off = {} as Record<N, number>;
  const len = {} as Record<N, number>;
  let expected = 0;
  const defs: FieldDef[] = [];
  for (const [o, s, n, d] of fields) {
    if (o !== expected) throw new LayoutDefinitionError(`${name}.${n}: offset ${o}, expected ${expected} (fields must be contiguous)`);
    if (s <= 0) throw new LayoutDefinitionError(`${name}.${n}: size ${s}`);
    if (s === 8 && o % 8 !== 0) throw new LayoutDefinitionError(`${name}.${n}: 8-byte field at unaligned offset ${o}`);
    if (n in off) throw new LayoutDefinitionError(`${name}.${n}: duplicate field`);
    off[n] = o;
    len[n] = s;
    defs.push({ offset: o, size: s, name: n, description: d });
    expected = o + s;
  }
  if (expected !== size) throw new LayoutDefinitionError(`${name}: fields cover ${expected} bytes, declared size ${size}`);
  const def: StructDef<N> = { name, size, fields: defs, off, len };
  ALL_STRUCTS.push(def as unknown as StructDef<string>);
  return def;
}

/** A 4-character ASCII tag as the little-endian u32 that holds it on media. */
export function tag32(s: string): number {
  if (s.length !== 4) throw new LayoutDefinitionError(`tag ${JSON.stringify(s)} is not 4 characters`);
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}
