import { createHmac } from 'node:crypto';
import { connect } from 'node:net';

/**
 * Sends one HTTP/1.1 request written byte for byte (repeated headers, non-ASCII bytes, huge values that
 * clients refuse to send) and returns the status and body; `Connection: close` ends it.
 */
export function rawHttp(url: string, head: Array<string | Buffer>): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    const lines = [...head, `Host: ${hostname}:${port}`, 'Connection: close', '', ''];
    socket.end(Buffer.concat(lines.map((l, i) => Buffer.concat([typeof l === 'string' ? Buffer.from(l, 'latin1') : l, Buffer.from(i < lines.length - 1 ? '\r\n' : '')]))));
  });
}

const b64url = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** An HS256 JWT made by hand (any header, any claims, any key — the empty one too), as a forger would. */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: string | Buffer): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** The claims of a JWT (not verified). */
export const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
