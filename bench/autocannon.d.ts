/** The part of autocannon 9 (no published types) that bench/loadgen.ts and bench/status-load.ts use. */
declare module 'autocannon' {
  namespace autocannon {
    interface Options {
      url: string;
      connections: number;
      /** Seconds. */
      duration: number;
      /** Requests per second over all connections (paced load). */
      overallRate?: number;
    }
    /** Summary of one measure (requests per second, latency in ms). */
    interface Histogram {
      average: number;
      mean: number;
      max: number;
      p50: number;
      p90: number;
      p99: number;
      total: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      non2xx: number;
      errors: number;
      timeouts: number;
    }
    interface Instance {
      on(event: 'error', listener: (err: Error) => void): Instance;
      stop(): void;
    }
  }
  function autocannon(opts: autocannon.Options, cb: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance;
  export = autocannon;
}
