/** Config keys of logging: level and format. */
import type { Config, LogFormat, LogLevel } from '../types';
import type { SpecTree } from './spec';

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'info', 'debug'];
const LOG_FORMATS: LogFormat[] = ['json', 'text', 'auto'];

/** The `log` section. */
export function logKeys(): SpecTree<Config['log']> {
  return {
    level: {
      doc: 'Log level: error|warn|info|debug.',
      format: LOG_LEVELS,
      default: 'info',
    },
    format: {
      doc: 'Log format: json|text|auto (auto = text when stdout is a TTY, else json).',
      format: LOG_FORMATS,
      default: 'auto',
    },
  };
}
