/**
 * Jenkins readiness/liveness probe: `GET <url>/login` must answer (< 400) with an `X-Jenkins`
 * header. A live pid with a dead web server is not healthy.
 */
export interface ProbeResult {
  ok: boolean;
  status?: number;
  version?: string;
  error?: string;
}

export async function probeJenkins(baseUrl: string, timeoutMs: number): Promise<ProbeResult> {
  const url = baseUrl.replace(/\/+$/, '') + '/login';
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    const version = res.headers.get('x-jenkins') ?? undefined;
    const ok = res.status < 400 && version !== undefined;
    return {
      ok,
      status: res.status,
      ...(version !== undefined ? { version } : {}),
      ...(ok ? {} : { error: version === undefined ? `HTTP ${res.status} without X-Jenkins header` : `HTTP ${res.status}` }),
    };
  } catch (err) {
    const e = err as { name?: string; message?: string; cause?: { code?: string } };
    const error = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message ?? String(err));
    return { ok: false, error };
  }
}
