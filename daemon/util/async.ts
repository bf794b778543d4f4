/** Resolves after pending I/O callbacks, signals and messages have run (setImmediate). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
