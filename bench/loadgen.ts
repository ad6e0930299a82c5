/**
 * A load generator in its own process (so it does not share the bench harness' event loop or the
 * controller's core): runs autocannon against one URL and prints its result as one JSON line on
 * stdout when the duration ends or when stdin closes (the parent's way to stop it early).
 *
 *   node -r ./scripts/dev/register-ts.js bench/loadgen.ts <url> <connections> <durationSeconds> [requestsPerSecond]
 *
 * With requestsPerSecond the load is paced (autocannon overallRate); without it, as fast as it goes.
 * The line carries `cpu` besides autocannon's fields: this process's CPU (user and system, ms)
 * from the start of the load to its end and that wall time, to tell whether the load generator
 * was the bottleneck.
 */
import autocannon from 'autocannon';

const [url, connections, duration, rate] = process.argv.slice(2);
if (!url) {
  console.error('usage: loadgen.ts <url> <connections> <durationSeconds> [requestsPerSecond]');
  process.exit(64);
}
const opts: autocannon.Options = { url, connections: Number(connections), duration: Number(duration) };
if (rate) opts.overallRate = Number(rate);
const [cpu0, wall0] = [process.cpuUsage(), performance.now()];
const inst = autocannon(opts, (err, res) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  const used = process.cpuUsage(cpu0);
  const cpu = { user_ms: used.user / 1000, system_ms: used.system / 1000, wall_ms: performance.now() - wall0 };
  process.stdout.write(`${JSON.stringify({ ...res, cpu })}\n`, () => process.exit(0));
});
inst.on('error', () => undefined); // connection errors are counted in the result
process.stdin.on('end', () => inst.stop());
process.stdin.resume();
