/**
 * Checks real API responses against docs/openapi.yaml: the path and method must be documented,
 * the status must be one of the operation's responses, and a JSON body must validate against
 * that response's schema (compiled by ajv, $refs resolved within the document). Responses of
 * undocumented paths or methods (404 unknown path, 405 wrong method) must be the Error schema.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

export const OPENAPI_FILE = path.resolve(__dirname, '..', '..', 'docs', 'openapi.yaml');

interface MediaType {
  schema?: unknown;
}
interface ResponseObject {
  $ref?: string;
  description?: string;
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
  security?: unknown[];
}
export interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, ResponseObject>; schemas: Record<string, unknown> };
}

export function loadOpenApi(): OpenApiDoc {
  return parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as OpenApiDoc;
}

const escape = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

export class OpenApiChecker {
  readonly doc = loadOpenApi();
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly cache = new Map<string, ValidateFunction>();
  /** `METHOD path status` of every response checked. */
  readonly seen = new Set<string>();

  constructor() {
    this.ajv.addSchema(this.doc as unknown as object, 'openapi');
  }

  /** The response object (refs followed) and its JSON pointer, or null if undocumented. */
  response(method: string, p: string, status: number): { obj: ResponseObject; pointer: string } | null {
    const op = this.doc.paths[p]?.[method.toLowerCase()];
    if (!op) return null;
    let obj = op.responses[String(status)];
    let pointer = `#/paths/${escape(p)}/${method.toLowerCase()}/responses/${status}`;
    if (!obj) return null;
    if (obj.$ref) {
      const name = obj.$ref.replace('#/components/responses/', '');
      obj = this.doc.components.responses[name];
      pointer = `#/components/responses/${escape(name)}`;
      if (!obj) throw new Error(`dangling $ref ${String(op.responses[String(status)]?.$ref)}`);
    }
    return { obj, pointer };
  }

  private validator(ref: string): ValidateFunction {
    let v = this.cache.get(ref);
    if (!v) {
      v = this.ajv.compile({ $ref: `openapi${ref}` });
      this.cache.set(ref, v);
    }
    return v;
  }

  /** Every response schema of the document, compiled (throws on a broken schema or $ref). */
  compileAll(): number {
    let n = 0;
    for (const [p, ops] of Object.entries(this.doc.paths)) {
      for (const [m, op] of Object.entries(ops)) {
        for (const status of Object.keys(op.responses)) {
          const r = this.response(m, p, Number(status));
          for (const mt of Object.keys(r?.obj.content ?? {})) {
            this.validator(`${r?.pointer ?? ''}/content/${escape(mt)}/schema`);
            n++;
          }
        }
      }
    }
    return n;
  }

  /**
   * Throws unless the response is documented and its body conforms. HEAD responses are checked
   * against the GET operation (without a body).
   */
  check(method: string, p: string, status: number, contentType: string | undefined, body: unknown): void {
    const m = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const where = `${method.toUpperCase()} ${p} -> ${status}`;
    this.seen.add(`${m} ${p} ${status}`);
    const documented = this.doc.paths[p]?.[m.toLowerCase()] !== undefined;
    if (!documented) {
      if (status !== 404 && status !== 405) throw new Error(`${where}: undocumented path or method`);
      this.validate('#/components/schemas/Error', body, where);
      return;
    }
    const r = this.response(m, p, status);
    if (!r) throw new Error(`${where}: status ${status} is not documented for ${m} ${p}`);
    const types = Object.keys(r.obj.content ?? {});
    if (types.length === 0) return;
    const mt = types.find((t) => (contentType ?? '').startsWith(t));
    if (!mt) throw new Error(`${where}: content type ${String(contentType)} is not one of ${types.join(', ')}`);
    if (method.toUpperCase() === 'HEAD' || mt !== 'application/json') return;
    this.validate(`${r.pointer}/content/${escape(mt)}/schema`, body, where);
  }

  private validate(ref: string, body: unknown, where: string): void {
    const v = this.validator(ref);
    if (!v(body)) {
      throw new Error(`${where}: body does not match ${ref}: ${this.ajv.errorsText(v.errors)}\n${JSON.stringify(body)}`);
    }
  }
}
