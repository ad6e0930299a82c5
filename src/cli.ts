#!/usr/bin/env node
/**
 * jenkins-ha command line.
 *
 *   jenkins-ha run [-c FILE] [--key-path value ...]   run the controller on this node
 *   jenkins-ha config [-c FILE] [...]                 print the effective configuration (token redacted)
 *   jenkins-ha config --doc                           print the configuration reference (Markdown)
 *   jenkins-ha config --sources [-c FILE] [...]       where each value comes from (default/file/env/flag)
 *   jenkins-ha status | switchover | pause | resume | history [...]   operate the cluster (src/cli/)
 *   jenkins-ha --help | --version
 *
 * Exit codes: 0 clean stop / done; 1 fatal runtime error or could not do it; 2 configuration
 * error (the message names the key); 64 usage error.
 */
// First: the modules below compile from the build's V8 code cache where it matches (start-up).
import { startupCodeCache } from './code-cache';
// Then, on `run`, the JENKINS_HOME I/O helper starts while the modules below load (start-up).
import './fencing/home-io-warm';
import { loadConfig, redactedConfig, requireRunnable } from './config/load';
import { flagName, listKeys } from './config/schema';
// cli/args (the operator commands' options) loads for those commands only: `run` needs none of it.
import type { OpsCommand } from './cli/args';
import { BadValueError, CliError, UsageError } from './cli/errors';
import type { collectStatus } from './cli/status';
import { ConfigError, errorMessage } from './errors';
import { EXIT, VERSION, flushEarlyLogsSync, startNode } from './main';

const HELP = `jenkins-ha ${VERSION} - ZooKeeper leader election that runs Jenkins active/standby

Usage:
  jenkins-ha run    [-c FILE] [--drain] [--<key> VALUE ...]   run the controller on this node
                    (--drain: on SIGTERM, drain Jenkins' builds before stopping it)
  jenkins-ha config [-c FILE] [--<key> VALUE ...]   print the effective configuration
  jenkins-ha config --doc                           print the reference of every key (Markdown)
  jenkins-ha config --sources [-c FILE] [...]       per key: where its value comes from
                                                    (default, file, env, flag) and the value

  jenkins-ha status     [--json | --watch [2s]]       members, roles, Jenkins, leader, epoch, pause
                        (--watch: redraw every INTERVAL, changes highlighted; Ctrl-C stops)
  jenkins-ha switchover [--candidate ID] [--reason TEXT] [--wait] [--timeout 60s]
  jenkins-ha switchover --at 02:00|ISO-TIME [--candidate ID] [--reason TEXT]
  jenkins-ha switchover --cancel
  jenkins-ha pause      [--ttl 1h|30m|90s|3600] [--reason TEXT] [--drain]
  jenkins-ha resume
  jenkins-ha history    [--limit N] [--json]
  jenkins-ha failover   --confirm-fenced NODE [--reason TEXT]   forced failover: NODE's host is known
                        to be off but the fencing methods cannot prove it; the waiting leader goes on
  (each also takes -c FILE and --<key> VALUE; see docs/cli.md)

  jenkins-ha --help | --version

Configuration layers (later wins): built-in defaults, the JSON file given by -c/--config (or
$JHA_CONFIG), environment variables (JHA_<KEY_PATH>, plus JENKINS_HOME and JHA_CLUSTER), then
flags named after the key path in kebab case (--zk-session-timeout-ms 2000).
See docs/configuration.md for every key.

Exit codes: 0 clean stop / done, 1 fatal error or could not do it (the message says why),
2 configuration error, 64 usage error.
`;

interface Parsed {
  command: string | null;
  file?: string;
  rest: string[];
  help: boolean;
  version: boolean;
}

export function parseArgs(argv: string[]): Parsed {
  const out: Parsed = { command: null, rest: [], help: false, version: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') out.help = true;
    else if (a === '-V' || a === '--version') out.version = true;
    else if (a === '-c' || a === '--config') {
      const f = argv[++i];
      if (f === undefined) throw new UsageError(`${a} needs a file`);
      out.file = f;
    } else if (a.startsWith('--config=')) out.file = a.slice('--config='.length);
    else if (out.command === null && !a.startsWith('-')) out.command = a;
    else out.rest.push(a);
  }
  return out;
}

function exit(code: number): never {
  // Let buffered log lines reach stdout before leaving.
  process.stdout.write('', () => process.exit(code));
  setTimeout(() => process.exit(code), 1000).unref();
  return undefined as never;
}

/** status, switchover, pause, resume, history, failover: parse, load the config, run, exit. */
async function ops(command: OpsCommand, p: Parsed): Promise<void> {
  const { parseOpsArgs } = await import('./cli/args');
  let parsed;
  try {
    parsed = parseOpsArgs(command, p.rest, new Set(listKeys().map((k) => flagName(k.path))));
  } catch (err) {
    process.stderr.write(`jenkins-ha: ${errorMessage(err)} (see jenkins-ha --help)\n`);
    return exit(err instanceof BadValueError ? EXIT.CONFIG : EXIT.USAGE);
  }
  const cfg = loadConfig({ ...(p.file !== undefined ? { file: p.file } : {}), args: parsed.configArgs });
  // Loaded here, not at the top: `run` never needs them, and its start-up is measured (docs/benchmarks.md).
  const { historyCommand, pauseCommand, resumeCommand, switchoverCommand } = await import('./cli/commands');
  const { collectStatus, renderStatus } = await import('./cli/status');
  const { failoverCommand } = await import('./cli/failover');
  const print = (text: string): void => void process.stdout.write(text);
  try {
    const o = parsed.parsed;
    switch (o.command) {
      case 'status': {
        if (o.opts.watchMs !== undefined) {
          await watchUntilSignal(o.opts.watchMs, () => collectStatus(cfg));
          break;
        }
        const report = await collectStatus(cfg);
        print(o.opts.json ? JSON.stringify(report) + '\n' : renderStatus(report));
        break;
      }
      case 'switchover':
        await switchoverCommand(cfg, o.opts, print);
        break;
      case 'pause':
        await pauseCommand(cfg, o.opts, print);
        break;
      case 'resume':
        await resumeCommand(cfg, print);
        break;
      case 'history':
        await historyCommand(cfg, o.opts, print);
        break;
      case 'failover':
        await failoverCommand(cfg, o.opts, print);
        break;
    }
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`jenkins-ha ${command}: ${err.message}\n`);
    return exit(err.exitCode);
  }
  // The ZooKeeper client and fetch may leave sockets in keep-alive: leave now.
  return exit(EXIT.OK);
}

/** `status --watch`: frames until Ctrl-C or SIGTERM, then exit 0 (the terminal's colours reset). */
async function watchUntilSignal(intervalMs: number, collect: () => ReturnType<typeof collectStatus>): Promise<void> {
  const { renderStatus } = await import('./cli/status');
  const { watchStatus } = await import('./cli/watch');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true;
  await watchStatus({ intervalMs, collect, render: renderStatus, write: (t) => void process.stdout.write(t), tty, signal: stop.signal });
  if (tty) process.stdout.write('\u001b[0m\n');
}

async function run(p: Parsed): Promise<void> {
  // `run --drain` = `--jenkins-drain-on-shutdown true`: drain Jenkins before stopping it on SIGTERM.
  const args = p.rest.flatMap((a) => (a === '--drain' ? [flagName('jenkins.drainOnShutdown'), 'true'] : [a]));
  const cfg = loadConfig({ ...(p.file !== undefined ? { file: p.file } : {}), args });
  requireRunnable(cfg);
  const node = await startNode(cfg);
  if (startupCodeCache !== null) {
    startupCodeCache.uninstall(); // what loads from now on is compiled as usual
    const [served, rejected, resolved] = [startupCodeCache.served(), startupCodeCache.rejected(), startupCodeCache.resolved()];
    // 0 served after a node upgrade or with a missing dist/code-cache.bin, 0 resolved after a dependency changed: a slower start-up, nothing else (`npm run build` rebuilds it).
    node.logger.info(`start-up: ${served} modules compiled from the build's code cache, ${rejected} refused by V8, ${resolved} requires resolved from it`, { event: 'startup.code_cache', served, rejected, resolved });
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      node.logger.warn(`second ${sig}: exiting now; the watchdog shim kills Jenkins`, { event: 'shutdown.forced' });
      exit(EXIT.FATAL);
    }
    void node.stop(`received ${sig}`).then((code) => exit(code));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => node.logger.info('SIGHUP ignored (restart the service to reload configuration)', { event: 'sighup' }));
  process.on('uncaughtException', (err) => {
    node.logger.error(`uncaught exception: ${err.stack ?? err.message}`, { event: 'fatal' });
    exit(EXIT.FATAL);
  });
  process.on('unhandledRejection', (err) => {
    node.logger.error(`unhandled rejection: ${errorMessage(err)}`, { event: 'fatal' });
    exit(EXIT.FATAL);
  });
  const code = await node.finished;
  exit(code);
}

export async function main(argv: string[]): Promise<void> {
  let p: Parsed;
  try {
    p = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`jenkins-ha: ${errorMessage(err)}\n\n${HELP}`);
    return exit(EXIT.USAGE);
  }
  if (p.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (p.help || p.command === null) {
    process.stdout.write(HELP);
    if (!p.help) exit(EXIT.USAGE);
    return;
  }
  try {
    switch (p.command) {
      case 'run':
        return await run(p);
      case 'config': {
        if (p.rest.includes('--doc')) {
          const { renderConfigDoc } = await import('./config/doc');
          process.stdout.write(renderConfigDoc());
          return;
        }
        if (p.rest.includes('--sources')) {
          const { configSources, renderSources } = await import('./config/sources');
          const args = p.rest.filter((a) => a !== '--sources');
          process.stdout.write(renderSources(configSources({ ...(p.file !== undefined ? { file: p.file } : {}), args })));
          return;
        }
        const cfg = loadConfig({ ...(p.file !== undefined ? { file: p.file } : {}), args: p.rest });
        process.stdout.write(JSON.stringify(redactedConfig(cfg), null, 2) + '\n');
        return;
      }
      default: {
        const { isOpsCommand } = await import('./cli/args');
        if (isOpsCommand(p.command)) return await ops(p.command, p);
        process.stderr.write(`jenkins-ha: unknown command '${p.command}'\n\n${HELP}`);
        return exit(EXIT.USAGE);
      }
    }
  } catch (err) {
    flushEarlyLogsSync(); // what a node logged before it failed, ahead of the reason (logging/early.ts)
    if (err instanceof ConfigError) {
      process.stderr.write(`jenkins-ha: configuration error: ${err.message}\n`);
      return exit(EXIT.CONFIG);
    }
    process.stderr.write(`jenkins-ha: ${errorMessage(err)}\n`);
    return exit(EXIT.FATAL);
  }
}

if (require.main === module) void main(process.argv.slice(2));
