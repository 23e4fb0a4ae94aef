/**
 * Assertions stop the process: they mark bugs, never bad input or corruption (STYLE.md 7).
 * Messages carry the values: assert(tail <= end, () => `tail=${tail} end=${end}`).
 */
export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionFailure';
  }
}

export function assert(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new AssertionFailure(typeof message === 'function' ? message() : message);
}
