/** Thrown when the Prometheus metrics are created but the optional peer dependency `prom-client` is not installed. */
export class PromClientNotInstalledError extends Error {
  override readonly name = 'PromClientNotInstalledError';
  constructor(override readonly cause: unknown) {
    super("nact-checkpoint/prometheus needs the 'prom-client' package, an optional peer dependency of nact-checkpoint: run `npm install prom-client`");
  }
}
