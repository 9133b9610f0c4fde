/**
 * Authenticated request overhead (issue 10 acceptance): `GET /api/v1/projects` with a bearer token on a
 * server in `YOLOOPS_AUTH=required` mode ÷ the same request on a server with auth off, same run, same
 * data (target ≤ 1.10, mean latency per request). Both servers are real CLI children over their own
 * data folder with 20 projects each; the phases alternate (off, on, off, on) so drift of a shared
 * machine hits both sides alike. Rate limits are raised out of the way on both, so both pay for the
 * limiter and the ratio isolates authentication (token verification and the account lookup).
 */
import { isQuickRun, log, type Bench, type BenchResult } from './support/bench.js';
import { runPhase, startServerChild, stopChild, type PhaseResult } from './support/server-child.js';
import { round } from './support/stats.js';
import { withTempDir } from './support/temp-dir.js';

const NAME = 'auth-overhead';
const CLIENTS = 8;
const PROJECTS = 20;
const PASSWORD = 'bench-admin-password-0123456789';
const durations = () => (isQuickRun() ? { warmupMs: 300, measureMs: 1000 } : { warmupMs: 1000, measureMs: 4000 });
const COMMON_ENV = { YOLOOPS_RATE_LIMIT_API: '100000000/minute', YOLOOPS_RATE_LIMIT_LOGIN: '1000/minute' };

async function login(origin: string): Promise<string> {
  const res = await fetch(`${origin}/api/v1/auth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username: 'admin', password: PASSWORD }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!res.ok || !body.access_token) throw new Error(`login failed: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

async function seedProjects(origin: string, token?: string): Promise<void> {
  for (let i = 0; i < PROJECTS; i++) {
    const res = await fetch(`${origin}/api/v1/projects`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ name: `bench project ${i}`, description: 'auth overhead bench' }),
    });
    if (res.status !== 201) throw new Error(`creating a project: HTTP ${res.status} ${await res.text()}`);
  }
}

const listProjects = (headers: Record<string, string>) => async (_client: number, pool: import('undici').Pool) => {
  const res = await pool.request({ method: 'GET', path: '/api/v1/projects', headers });
  const text = await res.body.text();
  if (res.statusCode !== 200) return `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
  return (JSON.parse(text) as { total?: number }).total === PROJECTS ? undefined : `unexpected body ${text.slice(0, 200)}`;
};

const meanMs = (p: PhaseResult) => (CLIENTS * 1000) / p.rps;

export const bench: Bench = {
  name: NAME,
  run: () =>
    withTempDir(NAME, (offDir) =>
      withTempDir(`${NAME}-required`, async (onDir): Promise<BenchResult[]> => {
        const off = await startServerChild(offDir, { ...COMMON_ENV, YOLOOPS_AUTH: 'off' });
        const on = await startServerChild(onDir, { ...COMMON_ENV, YOLOOPS_AUTH: 'required', YOLOOPS_ADMIN_PASSWORD: PASSWORD });
        try {
          const token = await login(on.origin);
          await seedProjects(off.origin);
          await seedProjects(on.origin, token);
          const phases: { off: PhaseResult[]; on: PhaseResult[] } = { off: [], on: [] };
          for (let round_ = 0; round_ < 2; round_++) {
            phases.off.push(await runPhase(off.origin, CLIENTS, durations(), listProjects({})));
            phases.on.push(await runPhase(on.origin, CLIENTS, durations(), listProjects({ authorization: `Bearer ${token}` })));
          }
          const failures = [...phases.off, ...phases.on].reduce((n, p) => n + p.failures, 0);
          const first = [...phases.off, ...phases.on].find((p) => p.firstFailure)?.firstFailure;
          if (failures > 0) throw new Error(`${failures} requests failed; first: ${first}`);
          const mean = (ps: PhaseResult[]) => ps.reduce((s, p) => s + meanMs(p), 0) / ps.length;
          const [offMs, onMs] = [mean(phases.off), mean(phases.on)];
          log(NAME, `off ${offMs.toFixed(3)} ms/request, required ${onMs.toFixed(3)} ms/request`);
          const p99 = (ps: PhaseResult[]) => Math.max(...ps.map((p) => p.p99));
          return [
            {
              metric: 'GET /api/v1/projects with a token ÷ without auth', value: round(onMs / offMs), unit: '×', target: { op: '<=', value: 1.1 },
              note: `${CLIENTS} clients, 2 × (${durations().warmupMs / 1000} s + ${durations().measureMs / 1000} s) each side, ${PROJECTS} projects`,
            },
            {
              metric: 'GET /api/v1/projects (auth off)', value: round(phases.off.reduce((s, p) => s + p.rps, 0) / 2), unit: 'req/s',
              note: `mean ${round(offMs)} ms, p99 ${round(p99(phases.off))} ms`,
            },
            {
              metric: 'GET /api/v1/projects (token)', value: round(phases.on.reduce((s, p) => s + p.rps, 0) / 2), unit: 'req/s',
              note: `mean ${round(onMs)} ms, p99 ${round(p99(phases.on))} ms`,
            },
          ];
        } finally {
          await Promise.all([stopChild(off.child), stopChild(on.child)]);
        }
      }),
    ),
};
