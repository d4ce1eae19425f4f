import { PromClientNotInstalledError } from './prom-client-not-installed-error.js';

/** The parts of prom-client's metric classes this package uses. */
interface MetricWithLabels {
  labels(labels: Record<string, string>): { set(value: number): void; inc(value?: number): void; observe(value: number): void };
}

type MetricConstructor = new (configuration: {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: readonly unknown[];
  readonly buckets?: readonly number[];
}) => MetricWithLabels;

/** The part of the `prom-client` module this package uses. */
export interface PromClientModule {
  readonly Gauge: MetricConstructor;
  readonly Counter: MetricConstructor;
  readonly Histogram: MetricConstructor;
  readonly register: unknown;
}

/**
 * Loads `prom-client` (an optional peer dependency) on first use.
 * @throws PromClientNotInstalledError when it cannot be imported.
 */
export async function loadPromClient(importModule: () => Promise<unknown> = () => import('prom-client')): Promise<PromClientModule> {
  let module: unknown;
  try {
    module = await importModule();
  } catch (error) {
    throw new PromClientNotInstalledError(error);
  }
  const exports = (module as { default?: unknown }).default ?? module;
  return exports as PromClientModule;
}
