/** Config keys of the HTTP status/control API: listen address, tokens, limits. */
import type { Config } from '../types';
import { bodyLimitFormat, hostFormat, intFormat, pathFormat, stringFormat } from './formats';
import type { SpecTree } from './spec';

/** The `api` section. */
export function apiKeys(): SpecTree<Config['api']> {
  return {
    host: {
      doc: 'Address the HTTP status/control API listens on.',
      format: hostFormat,
      default: '127.0.0.1',
    },
    port: {
      doc: 'Port of the HTTP API; 0..65535 (0 = any free port).',
      format: intFormat(0, 65535),
      default: 8090,
    },
    token: {
      doc: 'Access token of the HTTP API; empty = none. Sensitive: masked by redactedConfig and never echoed in validation errors; prefer the env var to the config file.',
      format: stringFormat,
      default: '',
      sensitive: true,
    },
    readToken: {
      doc: 'Bearer token required by the read endpoints of the HTTP API (GET /, /status, /members, /history, /metrics); empty = open. The role probes (/leader, /standby, /health, /readiness) stay open for load balancers. api.token is accepted too. Sensitive.',
      format: stringFormat,
      default: '',
      sensitive: true,
    },
    bodyLimit: {
      doc: 'Largest accepted JSON request body of the HTTP API, e.g. 16kb; larger bodies answer 413.',
      format: bodyLimitFormat,
      default: '16kb',
    },
    tls: {
      cert: {
        doc: 'PEM certificate file of the HTTP API; with api.tls.key the API serves HTTPS. Empty = plain HTTP.',
        format: pathFormat,
        default: '',
      },
      key: {
        doc: 'PEM private key file of the HTTP API; required when api.tls.cert is set.',
        format: pathFormat,
        default: '',
      },
    },
  };
}
