/** One file the fake server received on the weights route. */
export interface Upload {
  taskId: string;
  field: string;
  filename: string;
  bytes: Buffer;
}

/** Reads the first file part of a multipart/form-data body (enough for the agent's single-file upload). */
export function parseUpload(contentType: string, raw: Buffer): Omit<Upload, 'taskId'> {
  const boundary = /boundary="?([^";]+)"?/.exec(contentType)?.[1];
  if (!boundary) throw new Error(`not multipart: ${contentType}`);
  const start = raw.indexOf(`--${boundary}\r\n`);
  const headersEnd = raw.indexOf('\r\n\r\n', start);
  const end = raw.indexOf(`\r\n--${boundary}`, headersEnd);
  const headers = raw.subarray(start, headersEnd).toString('utf8');
  return {
    field: /name="([^"]*)"/.exec(headers)?.[1] ?? '',
    filename: /filename="([^"]*)"/.exec(headers)?.[1] ?? '',
    bytes: raw.subarray(headersEnd + 4, end),
  };
}
