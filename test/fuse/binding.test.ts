// Goal: the native binding's contract beyond the adapter's synchronous use: requests may be
// answered later (several in flight at once), and a write payload stays valid until its reply
// even though the binding has read further requests meanwhile (the receive buffer is pinned to
// the request); a reply to an unknown or already answered request throws instead of crashing.
// Method: the real binding + adapter over the in-memory model, with a handler that defers every
// WRITE reply to a later turn of the event loop (setTimeout), while three child processes write
// different seeded files with different block sizes; the files must read back byte-exact, and
// the deferral must have held more than one write in flight at some point.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FuseAdapter } from '../../src/fuse/adapter';
import { fuseNative, OP } from '../../src/fuse/native';
import { fuseOptionString, parseMountOptions } from '../../src/fuse/options';
import { ModelFs } from '../support/model-fs';
import { seededBytes } from '../cli/helpers';
import { cleanupBuild, fuseSkipReason, fuseTitle, sh, tmpDir, unmountAll } from './helpers';

afterAll(async () => {
  await unmountAll();
  cleanupBuild();
});

describe.skipIf(fuseSkipReason() !== '')(fuseTitle('native binding'), () => {
  it('deferred write replies: payloads stay valid until the reply, several writes in flight', async () => {
    const n = fuseNative();
    const mnt = tmpDir('pmlogfs-fuse-bind-');
    const host = tmpDir('pmlogfs-fuse-bind-host-');
    const model = new ModelFs();
    const adapter = new FuseAdapter(model, n, n.fuseScratch());
    let inFlight = 0;
    let maxInFlight = 0;
    const handler = (op: number, req: number, a: any, b: any, c: any, d: any, e: any): void => {
      if (op !== OP.WRITE) return adapter.handle(op, req, a, b, c, d, e);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // The Buffer `b` points into the binding's receive buffer; other requests are read before
      // this runs. The scratch caller fields are refreshed per request, so re-set them to root.
      setTimeout(() => {
        inFlight--;
        n.fuseScratch()[0] = 0;
        adapter.handle(op, req, a, b, c, d, e);
      }, 1);
    };
    n.fuseMount(mnt, fuseOptionString(parseMountOptions([], true), 'bindtest'), 1 << 20, false, handler, () => undefined);
    try {
      const sizes = [3 << 20, 2 << 20, 5 << 20];
      const files = sizes.map((s, i) => path.join(host, `src${i}`));
      await Promise.all(files.map((f, i) => fsp.writeFile(f, seededBytes(sizes[i]!, 100 + i))));
      await sh(`dd if=${files[0]} of=${mnt}/a bs=4k status=none & dd if=${files[1]} of=${mnt}/b bs=64k status=none & dd if=${files[2]} of=${mnt}/c bs=1M status=none & wait`);
      for (const [i, name] of ['a', 'b', 'c'].entries()) {
        const got = await fsp.readFile(path.join(mnt, name));
        expect(got.equals(await fsp.readFile(files[i]!)), `file ${name}`).toBe(true);
      }
      expect(maxInFlight).toBeGreaterThan(1);
      // Answering a request twice, or one that never existed, throws (no crash).
      expect(() => n.fuseReplyErr(12345, 0)).toThrow(/unknown or already answered/);
    } finally {
      await sh(`fusermount3 -u ${mnt}`).catch(() => undefined);
      n.fuseUnmount();
    }
  });
});
