/**
 * UUIDs for -U and for output: parse the canonical 8-4-4-4-12 text form into 16 bytes
 * (RFC 4122 byte order, as stored in the superblock), format 16 bytes back, make a random v4.
 *
 * Layer: fronts (tools/cli). Imports only node:crypto (lazily).
 */

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** 16 bytes of a UUID string, or null if it is not one. */
export function parseUuid(text: string): Buffer | null {
  if (!UUID_RE.test(text)) return null;
  return Buffer.from(text.replace(/-/g, ''), 'hex');
}

/** The canonical lowercase text form of 16 bytes. */
export function formatUuid(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A random (version 4) UUID as 16 bytes. */
export function randomUuid(): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { randomUUID } = require('node:crypto') as typeof import('node:crypto');
  return parseUuid(randomUUID())!;
}
