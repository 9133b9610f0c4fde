import { isIP } from 'node:net';

/** `required`: every non-public route needs a token; `off`: requests without a credential act as `local`. */
export type AuthMode = 'required' | 'off';

/** Whether `host` is a loopback address or name (127.0.0.0/8, ::1, ::ffff:127.x, localhost). */
export function isLoopbackHost(host: string): boolean {
  const name = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  const v4 = name.startsWith('::ffff:') ? name.slice(7) : name;
  if (isIP(v4) === 4) return v4.split('.')[0] === '127';
  return isIP(name) === 6 && /^(0{0,4}:){7}0{0,3}1$|^::1$/.test(name);
}

/**
 * The auth mode a server bound to `host` runs in: an explicit `mode` wins; otherwise `off` on
 * loopback (only this machine can connect, as uvicorn's default) and `required` anywhere else.
 * @example
 * resolveAuthMode('127.0.0.1') // 'off'
 * resolveAuthMode('0.0.0.0') // 'required'
 */
export function resolveAuthMode(host: string, mode?: AuthMode): AuthMode {
  if (mode !== undefined) return mode;
  return isLoopbackHost(host) ? 'off' : 'required';
}

/** The warning printed when auth is off on an address other machines can reach, else undefined. */
export function authOffWarning(host: string, mode: AuthMode): string | undefined {
  if (mode !== 'off' || isLoopbackHost(host)) return undefined;
  return `warning: YOLOOPS_AUTH=off while listening on ${host}: anyone who can reach this address can read, change and run everything; ` +
    'set YOLOOPS_AUTH=required (the default beyond loopback) or listen on 127.0.0.1';
}
