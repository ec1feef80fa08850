/**
 * Headless Chromium for client tests: Debian's /usr/bin/chromium (never a downloaded build) driven
 * by playwright-core, with a fresh profile directory per launch and no background network traffic.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const chromiumPath = "/usr/bin/chromium";

const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "conduit-chromium-"));
  // Playwright takes the profile directory itself (it passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
