/**
 * Load on loopback with autocannon, for as long as some work takes: the tests and the bench both
 * ask "how many requests failed while this release ran?". Bounded: autocannon stops at `maxSeconds`
 * even if the work never finishes.
 */
import autocannon from "autocannon";

export interface LoadResult {
  readonly requests: number;
  /** Errors, timeouts and non-2xx answers. */
  readonly failed: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly seconds: number;
}

export interface LoadOptions {
  readonly url: string;
  /** Host header, for name-based virtual hosts. */
  readonly host?: string;
  readonly connections?: number;
  readonly maxSeconds?: number;
}

function summarise(result: autocannon.Result, seconds: number): LoadResult {
  const requests = result.requests.total;
  return {
    requests,
    failed: result.non2xx + result.errors + result.timeouts,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    requestsPerSecond: requests / seconds,
    p99Ms: result.latency.p99,
    seconds,
  };
}

/** Runs load for a fixed time. */
export async function loadFor(seconds: number, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections ?? 50,
    duration: seconds,
    headers: options.host ? { host: options.host } : undefined,
  });
  return summarise(result, seconds);
}

/** Runs load while `work` runs (after `warmupMs`), then stops it; returns both results. */
export async function loadDuring<T>(
  work: () => Promise<T>,
  options: LoadOptions & { warmupMs?: number; cooldownMs?: number },
): Promise<{ load: LoadResult; work: T }> {
  const started = Date.now();
  let instance!: autocannon.Instance;
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 50,
        duration: options.maxSeconds ?? 120,
        headers: options.host ? { host: options.host } : undefined,
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, options.warmupMs ?? 1000));
  const outcome = await work();
  await new Promise((resolve) => setTimeout(resolve, options.cooldownMs ?? 1000));
  instance.stop();
  const result = await finished;
  return { load: summarise(result, (Date.now() - started) / 1000), work: outcome };
}
