/**
 * A killed Jenkins that cannot die (reliability.md finding 6; docs/safety.md "What holds when the
 * old Jenkins cannot be killed"), end to end: two real controllers, a real ZooKeeper, each node's
 * home a bindfs mount of one backing directory. The backing directory holds `inner`, itself a
 * bindfs mount; a process of a's Jenkins group reads a file under `inner` through a's mount in a
 * loop. Stopping the inner bindfs leaves a's bindfs (single-threaded) blocked in a call on `inner`
 * with that reader's request in its hands: a's whole mount hangs AND the reader sleeps
 * uninterruptibly (state D after SIGKILL), so the controller cannot end it. This is deterministic
 * where a SIGSTOP of a's bindfs catches a request in flight only by chance. Resuming the inner
 * bindfs answers the request: the reader dies of its pending SIGKILL.
 *
 * Before the fix a saw its shim exit, took Jenkins for stopped and yielded; b took over while the
 * killed group still lived.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mono, STANDIN, type HaNode } from '../helpers/ha-node';
import { lives, readJournal } from '../helpers/journal';
import { BOUND, COOL, LEASE, mountedHomes } from '../helpers/mounted-homes';
import { waitFor } from '../helpers/wait';

const homes = mountedHomes('jha-home-stuck-');
const { suite } = homes;

/** The stand-in, plus a member of its group that reads inner/probe on the home in a loop. */
function stuckCommand(): string {
  const script = path.join(homes.root, 'stuck-jenkins.sh');
  fs.writeFileSync(
    script,
    'while :; do cat "$JENKINS_HOME/inner/probe" >/dev/null 2>&1; sleep 0.1; done &\n' +
      `exec node ${STANDIN} --httpPort="\${JHA_JENKINS_URL##*:}"\n`,
  );
  return `exec sh ${script}`;
}

/** The pid of a's reader of inner/probe once it waits for the answer of a's bindfs. */
function blockedReader(): number | null {
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (!cmd.startsWith('cat\0') || !cmd.includes(path.join(homes.root, 'a', 'inner', 'probe'))) continue;
      if (fs.readFileSync(`/proc/${e}/wchan`, 'utf8').includes('request_wait_answer')) return Number(e);
    } catch {
      /* gone */
    }
  }
  return null;
}

test('the killed Jenkins survives SIGKILL: the leader keeps the election and says so, the standby starts nothing; once it dies Jenkins is back, never two alive', async () => {
  const { root } = homes;
  fs.mkdirSync(path.join(root, 'inner-back'));
  fs.writeFileSync(path.join(root, 'inner-back', 'probe'), 'x');
  const inner = await homes.mount(path.join(root, 'inner-back'), path.join(root, 'back', 'inner'));
  const a: HaNode = suite.fx.start('a', { home: homes.mounts[0].mountpoint, env: { ...homes.env(), JHA_JENKINS_COMMAND: stuckCommand() } });
  await a.waitLeaderReady();
  const b = suite.fx.start('b', { home: homes.mounts[1].mountpoint, env: homes.env() });
  await b.waitRole('standby');
  const t0 = mono();
  inner.hang();
  const cat = await waitFor(blockedReader, { timeoutMs: 10_000, what: "a's reader of inner/probe blocked in a's bindfs" }).catch(async (err: unknown) => {
    // Seen once in a loaded CI run, not reproduced alone: say what a was doing when it timed out.
    const s = await a.status().catch(() => null);
    const seen = a.logs.filter((l) => l.seenAt >= t0).map((l) => `${String(l.event ?? '-')}: ${String(l.message)}`);
    throw new Error(`${String(err)}; a: role ${String(s?.node.role)}, jenkins ${String(s?.jenkins.state)}; a's log since the hang: ${seen.join(' | ')}`);
  });
  try {
    await a.waitForEvent('fenced', { after: t0, timeoutMs: BOUND });
    const left = await a.waitForEvent('jenkins.group_survivors', { after: t0, timeoutMs: BOUND });
    expect(left.level).toBe('error');
    await waitFor(async () => (await a.status())?.home?.jenkinsStuck === true, { timeoutMs: BOUND + 10_000, what: 'a to report its Jenkins stuck' });
    const s = await a.status();
    expect(s?.node.role).toBe('leader');
    expect(s?.jenkins.state).toBe('stopped');
    expect(s?.notes?.join('\n')).toContain('Jenkins did not die after SIGKILL');
    // Past the lease and a cool-down nobody takes over: a keeps the election, b starts nothing.
    const stuckAt = mono();
    await expect(
      waitFor(async () => a.events('home.yielded').length > 0 || (await b.status())?.node.role === 'leader' || lives(readJournal(suite.fx.home)).some((l) => l.start > stuckAt), {
        timeoutMs: LEASE + COOL + 1500,
        what: 'a takeover while the killed Jenkins lives',
      }),
    ).rejects.toThrow(/timed out/);
    expect(lives(readJournal(suite.fx.home)).map((l) => l.epoch)).toEqual(['1']);
    expect(fs.existsSync(`/proc/${cat}`)).toBe(true);
  } finally {
    inner.heal();
  }
  const healedAt = mono();
  await a.waitForEvent('jenkins.group_survivors_gone', { after: t0, timeoutMs: 10_000 });

  await homes.expectJenkinsBack([a, b], healedAt, 'a Jenkins back once the killed one died');
});
