import { YoloopsApiError } from '@yoloops/client';
import { request, type Dispatcher } from 'undici';
import { expect } from 'vitest';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
  text: string;
  json: unknown;
}

export interface RawInit {
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** An HTTP request outside the typed client, for headers, bodies it cannot send, and routes it does not know. */
export async function rawRequest(baseUrl: string, method: Dispatcher.HttpMethod, path: string, init: RawInit = {}): Promise<RawResponse> {
  const res = await request(baseUrl + path, { method, headers: init.headers, body: init.body });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, bytes, text, json };
}

export const jsonInit = (body: unknown): RawInit => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });

/** Awaits a client call that must fail, checks status and `detail`, and returns the error. */
export async function expectApiError(call: Promise<unknown>, status: number, detail?: string | RegExp): Promise<YoloopsApiError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeInstanceOf(YoloopsApiError);
  const apiError = error as YoloopsApiError;
  expect({ status: apiError.status, detail: apiError.detail }).toEqual({ status, detail: detail instanceof RegExp ? expect.stringMatching(detail) : (detail ?? expect.any(String)) });
  expect(apiError.body).toMatchObject({ detail: expect.any(String), code: expect.any(String) });
  return apiError;
}

/** The filename of an `attachment` Content-Disposition (quoted or not). */
export function attachmentFilename(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.match(/^attachment;\s*filename="?([^";]+)"?/)?.[1];
}
