/**
 * kubernetes/: what can be validated without a cluster (docs/deploying.md, "Kubernetes", says what
 * cannot). Every document against the Kubernetes OpenAPI schemas that the kubernetes-models
 * package carries (scripts/dev/k8s-validate.mjs, ESM, spawned), with broken copies that must be
 * refused; then the facts across objects that no schema sees: selectors and labels, the probes
 * against jenkins-ha's own endpoints and effective config, the preStop script (run with stub
 * curl/jenkins-ha) against the CLI's parser, the grace period against the config defaults, the
 * image's entrypoint with the pod's env (needs `npm run build`: its config check is dist/cli.js),
 * secrets only from the Secret.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { probe, PROBE_PATHS, type ProbePath } from '../../src/api/routes/probes';
import { isOpsCommand, parseOpsArgs } from '../../src/cli/args';
import { loadConfig } from '../../src/config/load';
import { buildSchema, flagName, listKeys } from '../../src/config/schema';
import type { Config } from '../../src/config/types';
import type { StatusSource } from '../../src/controller/status';

const ROOT = path.resolve(__dirname, '..', '..');
const K8S = path.join(ROOT, 'kubernetes');
const VALIDATOR = path.join(ROOT, 'scripts', 'dev', 'k8s-validate.mjs');
const KEYS = listKeys(buildSchema());
const SENSITIVE = KEYS.filter((k) => k.sensitive === true);
const ENV_NAMES = new Set(KEYS.map((k) => k.env));

// ---- the manifests, typed as far as the test reads them -------------------------------------
type Labels = Record<string, string>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string }; secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface HttpProbe {
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  startupProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext?: { allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string }; configMap?: { name: string } }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number };
  terminationGracePeriodSeconds?: number;
  enableServiceLinks?: boolean;
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { topologyKey: string; labelSelector: { matchLabels: Labels } }[] } };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    serviceName?: string;
    podManagementPolicy?: string;
    updateStrategy?: { type: string };
    selector?: Labels | { matchLabels: Labels };
    template?: { metadata: { labels: Labels }; spec: PodSpec };
    volumeClaimTemplates?: unknown[];
    clusterIP?: string;
    publishNotReadyAddresses?: boolean;
    ports?: { name: string; port: number; targetPort: number | string }[];
    maxUnavailable?: number | string;
    unhealthyPodEvictionPolicy?: string;
    accessModes?: string[];
  };
}

function readDocs(file: string): Doc[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS() as Doc);
}
const jha = readDocs(path.join(K8S, 'jenkins-ha.yaml'));
const zkDocs = readDocs(path.join(K8S, 'zookeeper.yaml'));
const secret = readDocs(path.join(K8S, 'examples', 'secret.yaml'))[0]!;

function one(docs: Doc[], kind: string, name?: string): Doc {
  const found = docs.filter((d) => d.kind === kind && (name === undefined || d.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
}
const sts = one(jha, 'StatefulSet', 'jenkins-ha');
const pod = sts.spec!.template!;
const container = pod.spec.containers.find((c) => c.name === 'jenkins-ha')!;
const zkSts = one(zkDocs, 'StatefulSet', 'zk');
const zkPod = zkSts.spec!.template!;

/** A label selector (a Service's map or a matchLabels) selects these labels. */
function selects(selector: Labels, labels: Labels): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}
function matchLabels(d: Doc): Labels {
  return (d.spec!.selector as { matchLabels: Labels }).matchLabels;
}
/** A probe's or Service's port, resolved through the container's named ports. */
function containerPort(c: Container, port: number | string): number | undefined {
  return typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
}

// ---- the container's environment as the pod would see it -----------------------------------
const POD_IP = '10.1.2.3';
/** Kubernetes' env: fieldRefs and secretKeyRefs filled in, $(VAR) expanded from earlier entries. */
function podEnv(c: Container, podName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if (e.valueFrom?.fieldRef !== undefined) {
      out[e.name] = { 'metadata.name': podName, 'status.podIP': POD_IP }[e.valueFrom.fieldRef.fieldPath] ?? `unknown-field-${e.valueFrom.fieldRef.fieldPath}`;
    } else if (e.valueFrom?.secretKeyRef !== undefined) {
      const key = e.valueFrom.secretKeyRef.key;
      out[e.name] = key === 'zk-auth' ? `jenkins-ha:test-secret-${key}` : `test-secret-${key}`; // zk.auth is user:password
    } else {
      out[e.name] = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => out[name] ?? m);
    }
  }
  return out;
}

/** The ENV of docker/Dockerfile's runtime stage (the image the pods run). */
function imageEnv(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'docker', 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const env: Record<string, string> = {};
  for (const line of text.split('\n').filter((l) => l.startsWith('ENV '))) {
    for (const m of line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1]!] = m[2]!;
  }
  return env;
}

let tmp: string;
let loaded: Config | Error;
/** The pod's effective configuration; a config error fails each test that reads it, naming the key. */
function conf(): Config {
  if (loaded instanceof Error) throw loaded;
  return loaded;
}
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jha-k8s-'));
  // The ConfigMap's file where the pod mounts it, read through jenkins-ha's own loader (the
  // entrypoint runs `jenkins-ha config` the same way before `run`).
  const cm = one(jha, 'ConfigMap', 'jenkins-ha-config');
  const file = path.join(tmp, 'jenkins-ha.json');
  fs.writeFileSync(file, cm.data!['jenkins-ha.json']!);
  const env = { ...imageEnv(), JENKINS_HOME: '/var/jenkins_home', ...podEnv(container, 'jenkins-ha-0'), JHA_CONFIG: file };
  try {
    loaded = loadConfig({ env, args: [] });
  } catch (err) {
    loaded = err instanceof Error ? err : new Error(String(err));
  }
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Stub commands on PATH that record their arguments (one per line) in `<dir>/<name>.args`. */
function stubBin(dir: string, stubs: Record<string, string>): string {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  for (const [name, tail] of Object.entries(stubs)) {
    fs.writeFileSync(path.join(bin, name), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/${name}.args"\n${tail}\n`, { mode: 0o755 });
  }
  return bin;
}

/** The preStop script under /bin/sh, with curl answering `curlExit` and jenkins-ha recording its arguments. */
function runPreStop(script: string, curlExit: number): { status: number | null; curl: string; args: string[] | null } {
  const dir = fs.mkdtempSync(path.join(tmp, 'prestop-'));
  const bin = stubBin(dir, { curl: `exit ${curlExit}`, 'jenkins-ha': 'exit 0' });
  const r = spawnSync('/bin/sh', ['-c', script], { env: { PATH: `${bin}:/usr/bin:/bin`, HOSTNAME: 'jenkins-ha-0' }, encoding: 'utf8', timeout: 30000 });
  const read = (name: string): string[] | null => {
    const f = path.join(dir, `${name}.args`);
    return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').replace(/\n$/, '').split('\n') : null;
  };
  return { status: r.status, curl: (read('curl') ?? []).join(' '), args: read('jenkins-ha') };
}

// ---- the schemas ---------------------------------------------------------------------------
interface Result {
  file: string;
  index: number;
  apiVersion: string | null;
  kind: string | null;
  name: string | null;
  valid: boolean;
  errors: string[];
}
function validate(...targets: string[]): { status: number | null; schemas: string; results: Result[]; stderr: string } {
  const r = spawnSync(process.execPath, [VALIDATOR, ...targets], { encoding: 'utf8', timeout: 180000 });
  const out = JSON.parse(r.stdout === '' ? '{"results": []}' : r.stdout) as { schemas: string; results: Result[] };
  return { status: r.status, schemas: out.schemas, results: out.results, stderr: r.stderr };
}

describe('kubernetes/ against the OpenAPI schemas of kubernetes-models', () => {
  it('every document is valid, with no unknown field and only GA API versions', () => {
    const r = validate(K8S);
    expect(r.results.filter((x) => !x.valid)).toEqual([]);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(r.schemas).toBe(`kubernetes-models@${pkg.devDependencies['kubernetes-models']}`);
    const kinds = r.results.map((x) => `${path.relative(K8S, x.file)} ${x.apiVersion} ${x.kind} ${x.name}`).sort();
    expect(kinds).toEqual([
      'examples/secret.yaml v1 Secret jenkins-ha',
      'jenkins-ha.yaml apps/v1 StatefulSet jenkins-ha',
      'jenkins-ha.yaml policy/v1 PodDisruptionBudget jenkins-ha',
      'jenkins-ha.yaml v1 ConfigMap jenkins-ha-config',
      'jenkins-ha.yaml v1 PersistentVolumeClaim jenkins-home',
      'jenkins-ha.yaml v1 Service jenkins',
      'jenkins-ha.yaml v1 Service jenkins-ha-members',
      'zookeeper.yaml apps/v1 StatefulSet zk',
      'zookeeper.yaml policy/v1 PodDisruptionBudget zk',
      'zookeeper.yaml v1 Service zk-hs',
    ]);
  }, 180000);

  it('refuses broken copies, naming the path', () => {
    const broken = (mutate: (d: Doc) => void): Doc => {
      const d = structuredClone(sts);
      mutate(d);
      return d;
    };
    const c0 = (d: Doc): Container => d.spec!.template!.spec.containers[0]!;
    const cases: [string, Doc, string][] = [
      ['port-string', broken((d) => Object.assign(c0(d).ports![0]!, { containerPort: '8080' })), '/spec/template/spec/containers/0/ports/0/containerPort: must be integer'],
      ['no-selector', broken((d) => delete d.spec!.selector), '/spec: must have required property selector'],
      ['misspelt-probe', broken((d) => {
        const c = c0(d) as Container & { readinesProbe?: HttpProbe };
        c.readinesProbe = c.readinessProbe;
        delete c.readinessProbe;
      }), '/spec/template/spec/containers/0/readinesProbe: unknown field'],
      ['misspelt-label', broken((d) => Object.assign(d.metadata, { lables: { a: 'b' } })), '/metadata/lables: unknown field'],
      ['beta-api', broken((d) => Object.assign(d, { apiVersion: 'apps/v1beta1' })), 'apps/v1beta1 is not a GA API version'],
    ];
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(dir);
    for (const [name, doc] of cases) fs.writeFileSync(path.join(dir, `${name}.yaml`), stringify(doc));
    const r = validate(dir);
    expect(r.status).toBe(1);
    const got = Object.fromEntries(r.results.map((x) => [path.basename(x.file, '.yaml'), x.errors.join('; ')]));
    for (const [name, , message] of cases) expect({ name, errors: got[name] }).toEqual({ name, errors: expect.stringContaining(message) });
    expect(r.results.every((x) => !x.valid)).toBe(true);
  }, 180000);
});

// ---- across objects ------------------------------------------------------------------------
describe('kubernetes/jenkins-ha.yaml', () => {
  const svc = one(jha, 'Service', 'jenkins');
  const members = one(jha, 'Service', 'jenkins-ha-members');
  const labels = pod.metadata.labels;

  it('has a config file that passes jenkins-ha\'s own config validation in the pod\'s environment', () => {
    expect(loaded instanceof Error ? loaded.message : 'valid').toBe('valid');
  });

  it('runs two pods of one StatefulSet that select their own labels and only theirs', () => {
    expect(sts.spec!.replicas).toBe(2);
    expect(selects(matchLabels(sts), labels)).toBe(true);
    expect(selects(matchLabels(sts), zkPod.metadata.labels)).toBe(false);
    // A standby is never Ready: OrderedReady would not create the second pod, RollingUpdate
    // would stop after the first one.
    expect(sts.spec!.podManagementPolicy).toBe('Parallel');
    expect(sts.spec!.updateStrategy).toEqual({ type: 'OnDelete' });
    // The governing Service exists, is headless and lists a standby too.
    expect(sts.spec!.serviceName).toBe(members.metadata.name);
    expect(members.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(selects(members.spec!.selector as Labels, labels)).toBe(true);
    // Two Kubernetes nodes, so losing one leaves a standby.
    const anti = pod.spec.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution!;
    expect(anti.some((t) => t.topologyKey === 'kubernetes.io/hostname' && selects(t.labelSelector.matchLabels, labels))).toBe(true);
  });

  it('shares one ReadWriteMany claim as JENKINS_HOME (not a claim per pod)', () => {
    const pvc = one(jha, 'PersistentVolumeClaim', 'jenkins-home');
    expect(pvc.spec!.accessModes).toEqual(['ReadWriteMany']);
    expect(sts.spec!.volumeClaimTemplates).toBeUndefined();
    const mount = container.volumeMounts!.find((m) => m.mountPath === '/var/jenkins_home')!;
    expect(mount.subPath).toBeUndefined();
    expect(pod.spec.volumes!.find((v) => v.name === mount.name)!.persistentVolumeClaim).toEqual({ claimName: pvc.metadata.name });
    expect(conf().jenkins.home).toBe('/var/jenkins_home');
  });

  it('has a Service that selects the pods, only the ready (leading) one, with the HTTP and agent ports', () => {
    expect(svc.spec!.publishNotReadyAddresses).toBe(false);
    expect(selects(svc.spec!.selector as Labels, labels)).toBe(true);
    expect(selects(svc.spec!.selector as Labels, zkPod.metadata.labels)).toBe(false);
    const ports = svc.spec!.ports!.map((p) => [p.name, p.port, containerPort(container, p.targetPort)]);
    expect(ports).toEqual([
      ['http', 8080, 8080],
      ['agent', 50000, 50000],
    ]);
    // Jenkins listens on the agent port the Service carries.
    expect(podEnv(container, 'jenkins-ha-0').JAVA_OPTS).toContain('-Djenkins.model.Jenkins.slaveAgentPort=50000');
    expect(conf().jenkins.url).toBe(`http://127.0.0.1:${imageEnv().JENKINS_HTTP_PORT}`);
  });

  it('is ready only on GET /leader, live on /health, both on the REST port jenkins-ha listens on', () => {
    const api = KEYS.find((k) => k.path === 'api.port')!;
    expect(conf().api.port).toBe(api.default);
    expect(conf().api.host).toBe('0.0.0.0'); // the kubelet probes the pod's IP
    const ready = container.readinessProbe!.httpGet!;
    expect(ready.path).toBe('/leader');
    expect(containerPort(container, ready.port)).toBe(conf().api.port);
    for (const probe of [container.livenessProbe!, container.startupProbe!]) {
      expect(probe.httpGet!.path).toBe('/health');
      expect(containerPort(container, probe.httpGet!.port)).toBe(conf().api.port);
    }
    // What the probes answer (the API's own pure probe function): a standby is not ready but
    // live, so it is out of the Service and never restarted; the leader with a ready Jenkins is both.
    const node = (role: string, ready: boolean): StatusSource =>
      ({ status: () => ({ node: { role }, jenkins: { ready } }), msSinceLastCycle: () => 0 }) as unknown as StatusSource;
    const answers = (source: StatusSource): number[] =>
      [ready.path, container.livenessProbe!.httpGet!.path].map((p) => {
        expect(PROBE_PATHS).toContain(p);
        return probe(p as ProbePath, source, 2000).status;
      });
    expect(answers(node('standby', false))).toEqual([503, 200]);
    expect(answers(node('leader', true))).toEqual([200, 200]);
    expect(answers(node('leader', false))).toEqual([503, 200]);
    // The role probes as docs/api.md lists them (open, no token).
    const apiDoc = fs.readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
    expect(apiDoc).toMatch(/^\| `GET`\/`HEAD \/leader` \| none \| 200 iff this node leads \*\*and\*\* its Jenkins is ready/m);
    expect(apiDoc).toMatch(/^\| `GET`\/`HEAD \/health` \| none \| 200 while the control loop cycles/m);
  });

  it('hands over in preStop with a real CLI command, and waits long enough for it (config defaults)', () => {
    const cmd = container.lifecycle!.preStop!.exec!.command;
    expect(cmd.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const script = cmd[2]!;
    // Only the leader hands over: the probe it asks is this node's /leader on the REST port.
    expect(script).toContain(`curl -fsS -m 2 -o /dev/null http://127.0.0.1:${conf().api.port}/leader || exit 0`);
    // Run it with stub curl and jenkins-ha on PATH: a standby (curl fails) does nothing; the
    // leader runs jenkins-ha with these arguments, as the shell splits them.
    const standby = runPreStop(script, 22);
    expect({ status: standby.status, args: standby.args }).toEqual({ status: 0, args: null });
    const leader = runPreStop(script, 0);
    expect(leader.curl).toBe(`-fsS -m 2 -o /dev/null http://127.0.0.1:${conf().api.port}/leader`);
    expect(leader.status).toBe(0);
    const [command, ...rest] = leader.args!;
    expect(rest).toContain('preStop of pod jenkins-ha-0');
    expect(isOpsCommand(command!)).toBe(true);
    const parsed = parseOpsArgs(command as 'switchover', rest, new Set(KEYS.map((k) => flagName(k.path))));
    expect(parsed.configArgs).toEqual([]);
    expect(parsed.parsed.command).toBe('switchover');
    const opts = parsed.parsed.opts as { wait: boolean; timeoutMs: number };
    expect(opts.wait).toBe(true);
    // --timeout = when the controllers abandon a switchover (docs/api.md).
    const abandonMs = conf().election.switchoverTimeoutMs + conf().jenkins.drainTimeoutMs;
    expect(opts.timeoutMs).toBe(abandonMs);
    // The switchover needs the write token in the container's env.
    expect(container.env!.find((e) => e.name === 'JHA_API_TOKEN')!.valueFrom!.secretKeyRef!.optional).toBeUndefined();
    // Then SIGTERM: a leader that is still one drains and stops Jenkins (drainOnShutdown).
    expect(conf().jenkins.drainOnShutdown).toBe(true);
    const sigtermMs = conf().jenkins.drainTimeoutMs + Math.max(conf().jenkins.stopTimeoutMs, conf().hooks.timeoutMs);
    const worstMs = 2000 + abandonMs + sigtermMs;
    expect(worstMs).toBe(692000); // the arithmetic in the manifest's comment
    expect(pod.spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(worstMs);
    expect(pod.spec.terminationGracePeriodSeconds).toBe(700);
  });

  it('has a PodDisruptionBudget of maxUnavailable 1 over exactly these pods', () => {
    const pdb = one(jha, 'PodDisruptionBudget', 'jenkins-ha');
    expect(pdb.spec!.maxUnavailable).toBe(1);
    expect(pdb.spec!.unhealthyPodEvictionPolicy).toBe('AlwaysAllow');
    expect(selects(matchLabels(pdb), labels)).toBe(true);
    expect(selects(matchLabels(pdb), zkPod.metadata.labels)).toBe(false);
  });

  it('configures through the ConfigMap file plus env, which jenkins-ha accepts, with the pod name as node id', () => {
    const cm = one(jha, 'ConfigMap', 'jenkins-ha-config');
    const mount = container.volumeMounts!.find((m) => m.name === pod.spec.volumes!.find((v) => v.configMap?.name === cm.metadata.name)!.name)!;
    expect(mount.readOnly).toBe(true);
    expect(podEnv(container, 'x').JHA_CONFIG).toBe(path.posix.join(mount.mountPath, Object.keys(cm.data!)[0]!));
    // Every JHA_* variable is a setting (the entrypoint refuses others).
    const unknown = (container.env ?? []).map((e) => e.name).filter((n) => n.startsWith('JHA_') && n !== 'JHA_CONFIG' && !ENV_NAMES.has(n));
    expect(unknown).toEqual([]);
    // With only the required api-token in the Secret (the optional keys absent) too.
    const required = Object.fromEntries(Object.entries(podEnv(container, 'jenkins-ha-1')).filter(([k]) => {
      const ref = container.env!.find((e) => e.name === k)!.valueFrom?.secretKeyRef;
      return ref === undefined || ref.optional !== true;
    }));
    const minimal = loadConfig({ env: { ...imageEnv(), JENKINS_HOME: '/var/jenkins_home', ...required, JHA_CONFIG: path.join(tmp, 'jenkins-ha.json') }, args: [] });
    expect([minimal.node.id, minimal.zk.auth, minimal.jenkins.user]).toEqual(['jenkins-ha-1', '', '']);
    expect(conf().node.id).toBe('jenkins-ha-0');
    expect(conf().node.host).toBe(POD_IP);
    expect(conf().cluster.name).toBe('jenkins');
    // No service env vars injected into Jenkins' and the entrypoint's environment.
    expect(pod.spec.enableServiceLinks).toBe(false);
  });

  it('starts through the image\'s entrypoint with the pod\'s environment (real `jenkins-ha config`, stub run)', () => {
    const cli = path.join(ROOT, 'dist', 'cli.js');
    if (!fs.existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
    const dir = fs.mkdtempSync(path.join(tmp, 'entrypoint-'));
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { mode: 0o775 });
    fs.writeFileSync(path.join(dir, 'jenkins.war'), '');
    // jenkins-ha: `config` is the real CLI (the entrypoint's checks), anything else is recorded.
    const bin = stubBin(dir, { 'jenkins-ha': `if [ "$1" = config ]; then exec "${process.execPath}" "${cli}" "$@"; fi\nenv | grep -E '^JHA_NODE_' | sort > "${dir}/env"` });
    const env = {
      PATH: `${bin}:/usr/bin:/bin`,
      HOSTNAME: 'jenkins-ha-0',
      ...imageEnv(),
      ...podEnv(container, 'jenkins-ha-0'),
      JHA_CONFIG: path.join(tmp, 'jenkins-ha.json'),
      JENKINS_HOME: home,
      JENKINS_WAR: path.join(dir, 'jenkins.war'),
    };
    const r = spawnSync('bash', [path.join(ROOT, 'docker', 'entrypoint.sh')], { env, encoding: 'utf8', timeout: 60000 });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('node jenkins-ha-0') });
    expect(fs.readFileSync(path.join(dir, 'jenkins-ha.args'), 'utf8')).toBe('run\n');
    expect(fs.readFileSync(path.join(dir, 'env'), 'utf8')).toBe(`JHA_NODE_HOST=${POD_IP}\nJHA_NODE_ID=jenkins-ha-0\n`);
  });

  it('takes every sensitive key from the Secret, never from the ConfigMap or a literal', () => {
    expect(SENSITIVE.map((k) => k.path).sort()).toEqual(['api.readToken', 'api.token', 'jenkins.apiToken', 'zk.auth', 'zk.sasl.password']);
    const file = JSON.parse(one(jha, 'ConfigMap', 'jenkins-ha-config').data!['jenkins-ha.json']!) as Record<string, unknown>;
    for (const k of SENSITIVE) {
      const value = k.path.split('.').reduce<unknown>((o, p) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[p] : undefined), file);
      expect({ key: k.path, value }).toEqual({ key: k.path, value: undefined });
      const e = container.env!.find((v) => v.name === k.env);
      expect({ key: k.path, from: e?.valueFrom?.secretKeyRef?.name, literal: e?.value }).toEqual({ key: k.path, from: secret.metadata.name, literal: undefined });
      expect(Object.keys(secret.stringData!)).toContain(e!.valueFrom!.secretKeyRef!.key);
    }
    expect(conf().api.token).toBe('test-secret-api-token');
    // Nor anywhere else in the ConfigMap (a token-like key in another shape).
    expect(JSON.stringify(one(jha, 'ConfigMap', 'jenkins-ha-config').data)).not.toMatch(/token|auth|password|secret/i);
    expect(secret.kind).toBe('Secret');
  });

  it('runs as the image\'s non-root jenkins user, without the host watchdog', () => {
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(fs.readFileSync(path.join(ROOT, 'docker', 'Dockerfile'), 'utf8')).toMatch(/^USER jenkins$/m);
    // A pod cannot hold the host's /dev/watchdog: required would never let a leader launch.
    expect(conf().fencing.watchdog.mode).toBe('off');
  });

  it('uses the image built from docker/Dockerfile, named as a placeholder the docs explain', () => {
    expect(container.image).toMatch(/^registry\.example\.com\/jenkins-ha:/);
    const doc = fs.readFileSync(path.join(ROOT, 'docs', 'deploying.md'), 'utf8');
    expect(doc).toContain(container.image);
    expect(doc).toContain('docker/Dockerfile');
    // The docs name the schema package's version that the validation used.
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(doc).toContain(`kubernetes-models@${pkg.devDependencies['kubernetes-models']}`);
  });
});

describe('kubernetes/zookeeper.yaml', () => {
  const hs = one(zkDocs, 'Service', 'zk-hs');
  const zk = zkPod.spec.containers[0]!;
  const env = podEnv(zk, 'zk-0');

  it('runs 3 servers that find each other through the headless Service', () => {
    expect(zkSts.spec!.replicas).toBe(3);
    expect(zkSts.spec!.podManagementPolicy).toBe('Parallel');
    expect(selects(matchLabels(zkSts), zkPod.metadata.labels)).toBe(true);
    expect(zkSts.spec!.serviceName).toBe(hs.metadata.name);
    expect(hs.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(selects(hs.spec!.selector as Labels, zkPod.metadata.labels)).toBe(true);
    const port = (name: string): number => zk.ports!.find((p) => p.name === name)!.containerPort;
    const servers = [0, 1, 2].map((i) => `server.${i + 1}=zk-${i}.${hs.metadata.name}:${port('quorum')}:${port('election')};${port('client')}`);
    expect(env.ZOO_SERVERS!.split(' ')).toEqual(servers);
    // myid = ordinal + 1, the numbering of ZOO_SERVERS: the command run by bash for each pod,
    // with the image's /docker-entrypoint.sh replaced by a stub that prints what it gets.
    const [shell, flag, script] = zk.command!;
    expect([shell, flag]).toEqual(['/bin/bash', '-c']);
    const stub = path.join(tmp, 'docker-entrypoint.sh');
    fs.writeFileSync(stub, '#!/bin/sh\necho "$ZOO_MY_ID $*"\n', { mode: 0o755 });
    const ids = [0, 1, 2].map((i) => spawnSync('/bin/bash', ['-c', script!.replace('/docker-entrypoint.sh', stub)], { env: { PATH: '/usr/bin:/bin', HOSTNAME: `zk-${i}` }, encoding: 'utf8' }).stdout.trim());
    expect(ids).toEqual(['1 zkServer.sh start-foreground', '2 zkServer.sh start-foreground', '3 zkServer.sh start-foreground']);
    const pdb = one(zkDocs, 'PodDisruptionBudget', 'zk');
    expect(pdb.spec!.maxUnavailable).toBe(1);
    expect(selects(matchLabels(pdb), zkPod.metadata.labels)).toBe(true);
  });

  it('is the ensemble jenkins-ha connects to, with the tickTime its fence deadline assumes', () => {
    const client = zk.ports!.find((p) => p.name === 'client')!.containerPort;
    expect(conf().zk.connect).toBe([0, 1, 2].map((i) => `zk-${i}.${hs.metadata.name}:${client}`).join(','));
    expect(conf().zk.tickTimeMs).toBe(Number(env.ZOO_TICK_TIME));
    // ZooKeeper accepts sessions of 2..20 x tickTime.
    expect(conf().zk.sessionTimeoutMs).toBeGreaterThanOrEqual(2 * conf().zk.tickTimeMs);
    expect(conf().zk.sessionTimeoutMs).toBeLessThanOrEqual(20 * conf().zk.tickTimeMs);
    expect(zkPod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
  });
});
