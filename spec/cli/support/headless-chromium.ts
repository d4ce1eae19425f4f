import { access } from 'node:fs/promises';
import { chromium, type BrowserContext } from 'playwright-core';
import { createTemporaryDirectory, removeTemporaryDirectory } from '../../support/temporary-directory.js';

/** Debian's Chromium, which `.ci/run` installs when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';

/** A browser of {@link launchHeadlessChromium}; `close()` also removes its profile. */
export interface HeadlessChromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** A real headless Chromium with a fresh profile (its own --user-data-dir) and nothing that phones home. */
export async function launchHeadlessChromium(): Promise<HeadlessChromium> {
  try {
    await access(CHROMIUM);
  } catch {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium), as .ci/run does`);
  }
  const profile = await createTemporaryDirectory();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1000, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await removeTemporaryDirectory(profile);
    },
  };
}
