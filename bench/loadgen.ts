/**
 * A load generator in its own process (so it does not share the bench harness' event loop or the
 * controller's core): runs autocannon against one URL and prints its result as one JSON line on
 * stdout when the duration ends or when stdin closes (the parent's way to stop it early).
 *
 *   node -r ./scripts/dev/register-ts.js bench/loadgen.ts <url> <connections> <durationSeconds> [requestsPerSecond]
 *
 * With requestsPerSecond the load is paced (autocannon overallRate); without it, as fast as it goes.
 */
import autocannon from 'autocannon';

const [url, connections, duration, rate] = process.argv.slice(2);
if (!url) {
  console.error('usage: loadgen.ts <url> <connections> <durationSeconds> [requestsPerSecond]');
  process.exit(64);
}
const opts: autocannon.Options = { url, connections: Number(connections), duration: Number(duration) };
if (rate) opts.overallRate = Number(rate);
const inst = autocannon(opts, (err, res) => {
  if (err) {
    console.error(err.message);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(res)}\n`, () => process.exit(0));
});
inst.on('error', () => undefined); // connection errors are counted in the result
process.stdin.on('end', () => inst.stop());
process.stdin.resume();
