/**
 * Set-up shared by the tests of a file without making them depend on each other's order: `work`
 * runs once, for whichever test needs it first, and every later caller gets the same result.
 */
export function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= work());
}
