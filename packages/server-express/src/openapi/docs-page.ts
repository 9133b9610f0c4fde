type Json = Record<string, unknown>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pretty = (v: unknown) => `<pre>${escapeHtml(JSON.stringify(v, null, 2))}</pre>`;

function operationHtml(path: string, method: string, op: Json): string {
  const params = (op.parameters as Json[] | undefined) ?? [];
  const rows = params
    .map((p) => `<tr><td><code>${escapeHtml(String(p.name))}</code></td><td>${escapeHtml(String(p.in))}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(JSON.stringify(p.schema))}</td></tr>`)
    .join('');
  const body = op.requestBody ? `<h4>Request body</h4>${pretty((op.requestBody as Json).content)}` : '';
  return `<section id="${escapeHtml(String(op.operationId))}"><h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(String(op.summary ?? ''))}</p>${op.description ? `<p>${escapeHtml(String(op.description))}</p>` : ''}
${rows ? `<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${rows}</table>` : ''}${body}
<h4>Responses</h4>${pretty(op.responses)}</section>`;
}

/** A self-contained HTML reference of an OpenAPI document (no scripts, no external assets). */
export function renderDocsPage(doc: Json): string {
  const info = doc.info as Json;
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(methods as Record<string, Json>)) {
      ops.push(operationHtml(path, method, op));
      toc.push(`<li><a href="#${escapeHtml(String(op.operationId))}">${method.toUpperCase()} ${escapeHtml(path)}</a></li>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(String(info.title))}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:auto;padding:1em}pre{background:#f5f5f5;padding:.5em;overflow:auto;max-height:24em}
.m{padding:2px 6px;border-radius:3px;color:#fff;background:#555}.get{background:#2a7}.post{background:#27c}.put{background:#c82}.delete{background:#c33}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}section{border-top:1px solid #ddd}</style></head>
<body><h1>${escapeHtml(String(info.title))} <small>${escapeHtml(String(info.version))}</small></h1><p>${escapeHtml(String(info.description ?? ''))}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><ul>${toc.join('')}</ul>${ops.join('\n')}
<h2>Schemas</h2>${pretty((doc.components as Json).schemas)}</body></html>`;
}
