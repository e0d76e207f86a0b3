import { REPORT_CSS, REPORT_SCRIPT } from './report-page.js';
import type { ReportData } from './report-data.js';

/**
 * The HTML report as one self-contained page: its style and script inline, the data as
 * JSON in a `<script type="application/json">` block, nothing fetched from anywhere (no
 * CDN, no network). Pure: the data in, the page's text out.
 */
export function renderReportHtml(data: ReportData): string {
  const title = `vethcap ${data.kind}: ${data.counts.paths} paths, ${data.counts.lost} lost`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<noscript><p>This report draws itself with JavaScript, which is off. Its data is the JSON block in the page's source.</p></noscript>
<script type="application/json" id="vethcap-data">${jsonForScript(data)}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

/** JSON that cannot end its `<script>` block or open a comment: `<`, `>`, `&` and the two JS line separators escaped. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
