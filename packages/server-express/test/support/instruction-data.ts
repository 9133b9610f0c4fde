import { randomBytes } from 'node:crypto';

/** `n` distinct Alpaca records (`instruction`, `input`, `output`), the origin's stock-analysis flavour. */
export const alpacaRecords = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({ instruction: `分析股票 ${from + i} 的走势`, input: i % 3 === 0 ? '' : `市盈率 ${i}`, output: `股票 ${from + i} 近期震荡。` }));

/** `n` distinct ShareGPT records, one JSON object per line. */
export const sharegptLines = (n: number) =>
  Array.from({ length: n }, (_, i) => JSON.stringify({ conversations: [{ from: 'human', value: `问题 ${i}` }, { from: 'gpt', value: `回答 ${i}` }] }));

/** A CSV of `n` Alpaca rows with a header (a comma and a quote inside one field). */
export const alpacaCsv = (n: number) =>
  ['instruction,input,output', ...Array.from({ length: n }, (_, i) => `"翻译第 ${i} 句, 请",,"He said ""hi"" ${i}"`)].join('\n') + '\n';

export type FormPart = { name: string; value: string } | { name: string; filename: string; data: Buffer | string; type?: string };

/** A multipart/form-data body with its parts in exactly this order (the typed client always sends fields first). */
export function multipartForm(parts: readonly FormPart[]): { body: Buffer; headers: Record<string, string> } {
  const boundary = `----yoloops${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = 'filename' in part
      ? `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}\r\n`
      : `Content-Disposition: form-data; name="${part.name}"\r\n`;
    chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n`), Buffer.from('filename' in part ? part.data : part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
