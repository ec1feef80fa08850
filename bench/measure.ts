/**
 * A tiny timing loop shared by the benchmark files: warm up, then run batches until the time
 * budget is spent, and report operations per second.
 */

export function opsPerSecond(run: () => unknown, budgetMs = 1000): number {
  const warmUntil = performance.now() + budgetMs / 4;
  while (performance.now() < warmUntil) for (let i = 0; i < 20; i++) run();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (let i = 0; i < 20; i++) run();
    ops += 20;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

const format = (n: number) => Math.round(n).toLocaleString("en-US").padStart(12);

/** Prints one line: `label  N ops/s`. */
export function report(label: string, perSecond: number, note = ""): void {
  console.log(`${label.padEnd(46)}${format(perSecond)} /s${note ? `  ${note}` : ""}`);
}

/** Prints two measurements side by side with their ratio. */
export function compare(label: string, fast: [string, number], slow: [string, number]): void {
  report(`${label} (${fast[0]})`, fast[1]);
  report(`${label} (${slow[0]})`, slow[1], `-> ${fast[0]} is ${(fast[1] / slow[1]).toFixed(1)}x`);
}
