// Goal: fs-layout/FORMAT.md and the TypeScript field tables (fs-layout/*.ts) describe the same
// bytes. Method: parse every Markdown table that follows a `<!-- struct: NAME -->` marker in
// FORMAT.md (and FORMAT-BTT.md when present) and compare offset, size and field name row by row
// with the struct of that name; every defined struct must have a table and vice versa.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALL_STRUCTS } from '../../fs-layout';

interface Row { offset: number; size: number; name: string }

function parseTables(md: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /<!--\s*struct:\s*([\w-]+)\s*-->/.exec(lines[i]);
    if (!m) continue;
    let j = i + 1;
    while (j < lines.length && !lines[j].startsWith('|')) j++;
    const rows: Row[] = [];
    for (j += 2; j < lines.length && lines[j].startsWith('|'); j++) {
      const cells = lines[j].split('|').map((c) => c.trim());
      rows.push({ offset: Number(cells[1]), size: Number(cells[2]), name: cells[3] });
    }
    out.set(m[1], rows);
  }
  return out;
}

const dir = join(__dirname, '../../fs-layout');
const docs = ['FORMAT.md', 'FORMAT-BTT.md'].filter((f) => existsSync(join(dir, f)));
const tables = new Map<string, Row[]>();
for (const f of docs) for (const [k, v] of parseTables(readFileSync(join(dir, f), 'utf8'))) tables.set(k, v);

describe('FORMAT.md tables agree with fs-layout definitions', () => {
  it('found tables in the spec', () => {
    expect(tables.size).toBeGreaterThanOrEqual(20);
  });
  for (const s of ALL_STRUCTS) {
    it(`struct ${s.name}: same fields, offsets and sizes`, () => {
      const rows = tables.get(s.name);
      expect(rows, `no table for struct ${s.name} in ${docs.join(', ')}`).toBeDefined();
      expect(rows).toEqual(s.fields.map((f) => ({ offset: f.offset, size: f.size, name: f.name })));
      const last = rows![rows!.length - 1];
      expect(last.offset + last.size).toBe(s.size);
    });
  }
  it('every table in the spec names a defined struct', () => {
    const names = new Set(ALL_STRUCTS.map((s) => s.name));
    for (const k of tables.keys()) expect(names.has(k), `table ${k} has no definition`).toBe(true);
  });
});
