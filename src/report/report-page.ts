/**
 * The HTML report's style and script, inlined into every report (report-html.ts). The
 * script is plain browser JavaScript kept as text: it reads the JSON block
 * `#vethcap-data` (ReportData) and draws the topology, the path list with its filter, a
 * ladder diagram of the selected path and the hop latency histograms. It fetches nothing.
 * Element ids and classes the browser tests rely on: #topology .pt[data-label] (a point;
 * `.on` while the selected path crossed it, `.miss` where it was expected and not seen),
 * #paths tr[data-id], #f-id, #f-proto, #f-verdict, #ladder, .loss[data-after][data-before],
 * .nc[data-point], .und[data-point], .after-stop, #hops .hop.
 */

export const REPORT_CSS = `
:root { --fg:#1d2330; --muted:#6b7385; --line:#d5d9e2; --bg:#f7f8fb; --card:#fff; --ok:#1f8a4c; --lost:#c62828; --nc:#7a7f8c; --und:#c77700; --accent:#2f5fd0; --hl:#ffe58a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 16px 24px 8px; background: var(--card); border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 0 0 10px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.cmd { display: block; padding: 6px 8px; background: #f0f2f6; border-radius: 4px; overflow-x: auto; white-space: pre; margin: 6px 0; }
.meta { color: var(--muted); font-size: 12.5px; }
main { padding: 16px 24px 40px; display: grid; gap: 16px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; overflow-x: auto; }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 8px; }
.chip { padding: 3px 10px; border-radius: 12px; background: #eef0f5; font-size: 13px; }
.chip b { font-variant-numeric: tabular-nums; }
.chip.lost { background: #fde8e8; color: var(--lost); }
.chip.complete { background: #e6f4ec; color: var(--ok); }
.chip.nc { background: #eceef2; color: var(--nc); }
.chip.und { background: #fff2dc; color: var(--und); }
.verdict { font-weight: 600; padding: 8px 12px; border-radius: 6px; }
.verdict.pass { background: #e6f4ec; color: var(--ok); }
.verdict.fail { background: #fde8e8; color: var(--lost); }
.hints { margin: 8px 0 0; padding-left: 20px; }
.hints code { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef3; white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
#paths tbody tr { cursor: pointer; }
#paths tbody tr:hover { background: #f3f6fd; }
#paths tbody tr.sel { background: #e3ebfd; }
.v-complete { color: var(--ok); } .v-lost { color: var(--lost); font-weight: 600; } .v-not-captured { color: var(--nc); }
.v-undetermined { color: var(--und); } .v-after-stop { color: var(--muted); font-style: italic; }
.filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 8px; }
.filters input, .filters select { font: inherit; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; }
.note { color: var(--muted); font-size: 12.5px; margin: 6px 0 0; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg .small { font-size: 11px; fill: var(--muted); }
#ladder svg .small, #ladder svg .ann { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg .ns { fill: #f4f6fb; stroke: #b9c0cf; }
svg .pt rect { fill: #fff; stroke: #8f98ab; stroke-width: 1.2; }
svg .pt.on rect { fill: var(--hl); stroke: #b38600; stroke-width: 2; }
svg .pt.miss rect { fill: #fde8e8; stroke: var(--lost); stroke-width: 2; stroke-dasharray: 4 3; }
svg .pt.gap rect { fill: #eceef2; stroke: var(--nc); stroke-dasharray: 4 3; }
svg .bridge rect { fill: #e9eefb; stroke: #7d93c9; }
svg .bridge.on rect { fill: var(--hl); stroke: #b38600; }
svg .wire { stroke: #9aa3b5; stroke-width: 1.5; fill: none; }
svg .drops { fill: var(--lost); font-size: 11px; }
svg .col { stroke: #d8dce5; stroke-dasharray: 3 3; }
svg .hop { stroke: var(--accent); stroke-width: 1.6; fill: none; marker-end: url(#arrow); }
svg .dot { fill: var(--accent); }
svg .obs { fill: #fff; stroke: var(--accent); }
svg .loss line { stroke: var(--lost); stroke-width: 2; stroke-dasharray: 6 4; }
svg .loss text { fill: var(--lost); font-weight: 600; }
svg .nc circle { fill: none; stroke: var(--nc); stroke-dasharray: 3 3; }
svg .nc text { fill: var(--nc); }
svg .und text { fill: var(--und); font-weight: 600; }
svg .ann { fill: #7b4bb7; font-size: 11px; }
svg .bar { fill: #8fa8e8; }
svg .pline { stroke: var(--lost); stroke-width: 1.2; }
svg .pline.p50 { stroke: var(--ok); }
.after-stop { color: var(--muted); font-style: italic; margin: 4px 0; }
#findings { margin: 8px 0 0; padding-left: 20px; }
#hops { display: flex; flex-wrap: wrap; gap: 14px; }
#hops .hop { border: 1px solid #eceef3; border-radius: 6px; padding: 6px 8px; }
`;

export const REPORT_SCRIPT = String.raw`
(() => {
'use strict';
const D = JSON.parse(document.getElementById('vethcap-data').textContent);
const SVGNS = 'http://www.w3.org/2000/svg';
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
};
const sv = (tag, attrs, text) => {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = String(text);
  return e;
};
const fmt = (n) => Number(n).toLocaleString('en-US');
const dur = (ns) => {
  if (ns === null || ns === undefined) return '';
  const a = Math.abs(ns);
  if (a < 1000) return ns + ' ns';
  if (a < 1e6) return (ns / 1e3).toFixed(a < 1e4 ? 1 : 0) + ' µs';
  if (a < 1e9) return (ns / 1e6).toFixed(a < 1e7 ? 2 : 1) + ' ms';
  return (ns / 1e9).toFixed(3) + ' s';
};
/** "sec.nsec" as an ISO time in UTC with nanoseconds. */
const isoNs = (ts) => { const [s, n] = ts.split('.'); return new Date(Number(s) * 1000).toISOString().replace(/\.\d+Z$/, '.' + n + 'Z'); };
const byLabel = new Map(D.points.map((p, i) => [p.label, i]));
const VERDICTS = ['complete', 'lost', 'not-captured', 'undetermined', 'after-stop'];

function header() {
  const c = D.counts;
  const chip = (cls, n, what) => el('span', { class: 'chip ' + cls }, el('b', {}, fmt(n)), ' ' + what);
  const h = el('header', {},
    el('h1', {}, 'vethcap ' + D.kind),
    el('code', { class: 'cmd' }, D.commandLine),
    el('div', { class: 'meta' }, 'started ' + new Date(D.startedAt).toLocaleString() + ' (' + D.startedAt + ') · vethcap ' + D.vethcapVersion),
    el('div', { class: 'chips', id: 'counts' },
      chip('', c.paths, 'paths'), chip('complete', c.complete, 'complete'), chip('lost', c.lost, 'lost'),
      chip('nc', c.notCaptured, 'not captured'), chip('und', c.undetermined, 'undetermined'),
      c.unknown ? chip('', c.unknown, 'nothing expected') : null, c.afterStop ? chip('', c.afterStop, 'after the stop') : null));
  document.body.prepend(h);
}

function verifyBox(main) {
  if (!D.verify) return;
  const v = D.verify;
  main.append(el('section', { id: 'verify' }, el('div', { class: 'verdict ' + (v.ok ? 'pass' : 'fail') }, v.line),
    v.hints.length ? el('ul', { class: 'hints' }, ...v.hints.map((h) => el('li', {}, h.text, ' ', el('code', {}, h.code)))) : null));
}

/* ---- topology ---- */
let topoSvg;
function topology(main) {
  const sec = el('section', {}, el('h2', {}, 'Topology'));
  const W = 164, CH = 46;
  const svg = sv('svg', { id: 'topology', role: 'img', 'aria-label': 'capture points' });
  topoSvg = svg;
  const chip = (i, x, y) => {
    const p = D.points[i];
    const g = sv('g', { class: 'pt', 'data-label': p.label, id: 'pt-' + i, transform: 'translate(' + x + ',' + y + ')' });
    g.append(sv('rect', { width: W - 14, height: CH, rx: 6 }));
    g.append(sv('text', { x: 8, y: 16 }, p.label.length > 22 ? p.label.slice(0, 21) + '…' : p.label));
    const drops = p.droppedByKernel ? ' · ' : '';
    const t = sv('text', { x: 8, y: 32, class: 'small' }, fmt(p.packets) + ' pkts' + (p.captured !== null ? ' / ' + fmt(p.captured) + ' captured' : ''));
    g.append(t);
    if (p.droppedByKernel) g.append(sv('text', { x: 8, y: 43, class: 'drops' }, fmt(p.droppedByKernel) + ' dropped by the kernel'));
    else if (p.state && p.state !== 'forwarding') g.append(sv('text', { x: 8, y: 43, class: 'drops' }, 'port ' + p.state));
    g.append(sv('title', {}, p.label + ' (' + p.role + (p.state ? ', port ' + p.state : '') + ')' + (p.addresses ? ' ' + p.addresses.join(' ') : '')));
    svg.append(g);
    return { x, y };
  };
  const files = D.points.every((p) => p.role === 'file');
  if (files) {
    D.points.forEach((p, i) => {
      chip(i, 10 + i * W, 20);
      if (i > 0) svg.append(sv('line', { class: 'wire', x1: 10 + i * W - 14, y1: 43, x2: 10 + i * W, y2: 43 }));
    });
    svg.setAttribute('width', 20 + D.points.length * W);
    svg.setAttribute('height', 90);
    sec.append(svg, el('p', { class: 'note' }, 'Plain capture files have no topology: the points in the order the merge learned.'));
    main.append(sec);
    return;
  }
  // Columns: bridge ports grouped by bridge, each with its namespace end above; then veths without a bridge.
  const bridgeLabels = [];
  for (const p of D.points) if (p.role === 'host-veth' && p.bridge && !bridgeLabels.includes(p.bridge)) bridgeLabels.push(p.bridge);
  const cols = [];
  const placed = new Set();
  for (const b of bridgeLabels) for (const [i, p] of D.points.entries()) if (p.role === 'host-veth' && p.bridge === b) cols.push({ port: i, ns: p.peer !== undefined ? byLabel.get(p.peer) : undefined, bridge: b });
  for (const [i, p] of D.points.entries()) if (p.role === 'host-veth' && !p.bridge) cols.push({ port: i, ns: p.peer !== undefined ? byLabel.get(p.peer) : undefined, bridge: null });
  for (const [i, p] of D.points.entries()) if (p.role === 'namespace-end' && !cols.some((c) => c.ns === i)) cols.push({ port: undefined, ns: i, bridge: null });
  const yNs = 34, yPort = 130, yBr = 210, yOther = 290;
  // Namespace boxes: consecutive columns of one owner.
  let start = 0;
  for (let c = 0; c <= cols.length; c++) {
    const owner = (k) => (cols[k] && cols[k].ns !== undefined ? D.points[cols[k].ns].owner || D.points[cols[k].ns].label : null);
    if (c < cols.length && c > start && owner(c) === owner(start)) continue;
    if (start < c && owner(start) !== null) {
      svg.append(sv('rect', { class: 'ns', x: 4 + start * W, y: yNs - 24, width: (c - start) * W - 2, height: CH + 32, rx: 8 }));
      svg.append(sv('text', { x: 12 + start * W, y: yNs - 8, class: 'small' }, 'namespace ' + owner(start)));
    }
    start = c;
  }
  cols.forEach((c, k) => {
    const x = 10 + k * W;
    if (c.ns !== undefined) { chip(c.ns, x, yNs); placed.add(c.ns); }
    if (c.port !== undefined) {
      chip(c.port, x, yPort); placed.add(c.port);
      if (c.ns !== undefined) svg.append(sv('line', { class: 'wire', x1: x + (W - 14) / 2, y1: yNs + CH, x2: x + (W - 14) / 2, y2: yPort }));
      if (c.bridge) svg.append(sv('line', { class: 'wire', x1: x + (W - 14) / 2, y1: yPort + CH, x2: x + (W - 14) / 2, y2: yBr }));
    }
  });
  for (const b of bridgeLabels) {
    const ks = cols.map((c, k) => (c.bridge === b ? k : -1)).filter((k) => k >= 0);
    const x = 10 + ks[0] * W, w = (ks[ks.length - 1] - ks[0] + 1) * W - 14;
    const i = byLabel.get(b);
    const g = sv('g', { class: 'bridge', 'data-label': b, id: i !== undefined ? 'pt-' + i : undefined, transform: 'translate(' + x + ',' + yBr + ')' });
    g.append(sv('rect', { width: w, height: 40, rx: 6 }));
    const p = i !== undefined ? D.points[i] : null;
    g.append(sv('text', { x: 8, y: 16 }, 'bridge ' + b.replace(/^host:/, '') + (p ? '' : ' (not captured)')));
    if (p) {
      g.append(sv('text', { x: 8, y: 32, class: 'small' }, fmt(p.packets) + ' pkts (device copies)' + (p.droppedByKernel ? ' · ' : '')));
      if (p.droppedByKernel) g.append(sv('text', { x: w - 160, y: 32, class: 'drops' }, fmt(p.droppedByKernel) + ' dropped by the kernel'));
      placed.add(i);
      g.classList.add('pt');
    }
    svg.append(g);
  }
  const rest = D.points.map((p, i) => i).filter((i) => !placed.has(i));
  rest.forEach((i, k) => {
    chip(i, 10 + k * W, yOther);
    svg.append(sv('text', { x: 12 + k * W, y: yOther - 6, class: 'small' }, D.points[i].role === 'uplink' ? 'host interface (uplink)' : D.points[i].role));
  });
  if (bridgeLabels.length > 1 || rest.length) svg.append(sv('text', { x: 10, y: (rest.length ? yOther : yBr + 40) + (rest.length ? CH + 22 : 20), class: 'small' }, bridgeLabels.length > 1 ? 'the host routes between the bridges' + (rest.length ? ' and to its other interfaces' : '') : ''));
  svg.setAttribute('width', Math.max(cols.length, rest.length, 1) * W + 20);
  svg.setAttribute('height', rest.length ? yOther + CH + 30 : yBr + 70);
  sec.append(svg);
  main.append(sec);
}

function pointsTable(main) {
  const rows = D.points.map((p) => el('tr', {}, el('td', { class: 'mono' }, p.label), el('td', {}, p.role + (p.state ? ' (port ' + p.state + ')' : '')), el('td', { class: 'num' }, fmt(p.packets)),
    el('td', { class: 'num' }, p.captured === null ? '–' : fmt(p.captured)), el('td', { class: 'num' + (p.droppedByKernel ? ' v-lost' : '') }, p.droppedByKernel === null ? '–' : fmt(p.droppedByKernel)),
    el('td', { class: 'num' }, fmt(p.notCaptured))));
  main.append(el('section', {}, el('h2', {}, 'Capture points'), el('table', { id: 'points' },
    el('thead', {}, el('tr', {}, el('th', {}, 'point'), el('th', {}, 'role'), el('th', { class: 'num' }, 'packets in paths'), el('th', { class: 'num' }, 'captured'), el('th', { class: 'num' }, 'dropped by the kernel'), el('th', { class: 'num' }, 'paths it did not capture'))),
    el('tbody', {}, ...rows))));
}

/* ---- paths ---- */
let selected = null;
const MAX_ROWS = 500;
function pathsSection(main) {
  const protos = [...new Set(D.paths.map((p) => p.protocol))].sort();
  const fId = el('input', { id: 'f-id', type: 'search', placeholder: 'packet id, e.g. 12 or 10-20', size: 22 });
  const fProto = el('select', { id: 'f-proto' }, el('option', { value: '' }, 'any protocol'), ...protos.map((p) => el('option', { value: p }, p)));
  const fVerdict = el('select', { id: 'f-verdict' }, el('option', { value: '' }, 'any verdict'), el('option', { value: 'not-complete' }, 'not complete'), ...VERDICTS.map((v) => el('option', { value: v }, v)));
  const tbody = el('tbody', {});
  const shown = el('p', { class: 'note', id: 'shown' });
  const k = D.kept;
  const keptNote = k.complete < k.completeTotal || k.other < k.otherTotal
    ? 'This report keeps every path that is not complete' + (k.other < k.otherTotal ? ' up to ' + fmt(k.other) + ' of ' + fmt(k.otherTotal) : ' (' + fmt(k.other) + ')') + ', and ' + fmt(k.complete) + ' of ' + fmt(k.completeTotal) + ' complete paths (the first, then a uniform sample); the counts above are of all paths.'
    : 'Every path of the run is here.';
  const apply = () => {
    const idText = fId.value.trim();
    let lo = -Infinity, hi = Infinity;
    const m = /^(\d+)\s*(?:-\s*(\d+))?$/.exec(idText);
    if (m) { lo = Number(m[1]); hi = m[2] ? Number(m[2]) : lo; }
    const v = fVerdict.value, pr = fProto.value;
    const match = D.paths.filter((p) => p.id >= lo && p.id <= hi && (!pr || p.protocol === pr) &&
      (!v || (v === 'not-complete' ? p.verdict !== 'complete' && p.verdict !== null : p.verdict === v)));
    tbody.replaceChildren(...match.slice(0, MAX_ROWS).map((p) => {
      const tr = el('tr', { 'data-id': p.id, class: selected === p ? 'sel' : undefined },
        el('td', { class: 'num' }, '#' + p.id), el('td', {}, p.protocol), el('td', { class: 'mono' }, p.summary),
        el('td', { class: 'v-' + (p.verdict || 'none') }, p.verdict || 'nothing expected'), el('td', { class: 'num' }, p.copies.length));
      tr.addEventListener('click', () => select(p));
      return tr;
    }));
    shown.textContent = fmt(Math.min(match.length, MAX_ROWS)) + ' of ' + fmt(match.length) + ' matching paths listed' + (match.length > MAX_ROWS ? ' (narrow the filter to see the rest)' : '') + '. ' + keptNote;
  };
  for (const f of [fId, fProto, fVerdict]) f.addEventListener('input', apply);
  main.append(el('section', {}, el('h2', {}, 'Paths'),
    el('div', { class: 'filters' }, fId, fProto, fVerdict),
    el('table', { id: 'paths' }, el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'id'), el('th', {}, 'protocol'), el('th', {}, 'packet'), el('th', {}, 'verdict'), el('th', { class: 'num' }, 'copies'))), tbody),
    shown));
  apply();
}

function columnsOf(p) {
  const cols = [];
  for (const c of p.copies) { const l = D.points[c[0]].label; if (!cols.includes(l)) cols.push(l); }
  const exp = p.expected || [];
  exp.forEach((l, i) => {
    if (cols.includes(l)) return;
    let at = cols.length;
    for (let j = i - 1; j >= 0; j--) { const k = cols.indexOf(exp[j]); if (k >= 0) { at = k + 1; break; } }
    // Past the observers that follow it (a bridge device sits beside its ingress port).
    while (at < cols.length && !exp.includes(cols[at])) at++;
    cols.splice(at, 0, l);
  });
  for (const f of p.findings) for (const l of [f.after, f.before, f.point]) if (l && !cols.includes(l)) cols.push(l);
  for (const f of p.findings) if (f.code === 'UNDETERMINED') for (const m of f.missing) if (!cols.includes(m.point)) cols.push(m.point);
  return cols;
}

function findingText(f) {
  switch (f.code) {
    case 'PATH_LOST': return 'lost between ' + f.after + ' and ' + f.before + (f.where === 'host-routing' ? " (in the host's routing step)" : '') + (f.branch ? ' on the branch to ' + f.branch : '');
    case 'NOT_CAPTURED': return 'not captured at ' + f.point + ' (' + f.reason + (f.droppedByKernel ? ', ' + f.droppedByKernel + ' dropped by the kernel' : '') + '): the capture missed it, not the network';
    case 'UNDETERMINED': return 'undetermined: copies missing at ' + f.missing.map((m) => m.point).join(', ') + ', where the captures may have missed them';
    case 'AFTER_STOP': return 'began after the trace was asked to stop: no verdict';
    case 'FLOODED': return 'flooded by the bridge to ' + f.ports.join(', ');
    case 'NAT_REWRITE': return 'NAT between ' + f.after + ' and ' + f.before + ': ' + f.side + ' ' + f.from + ' → ' + f.to;
    case 'TTL_CHANGE': return 'TTL ' + f.from + ' → ' + f.to + ' between ' + f.after + ' and ' + f.before;
    case 'MAC_REWRITE': return 'MAC rewritten between ' + f.after + ' and ' + f.before + (f.src ? ': src ' + f.src.from + ' → ' + f.src.to : '') + (f.dst ? (f.src ? ',' : ':') + ' dst ' + f.dst.from + ' → ' + f.dst.to : '');
    default: return f.code;
  }
}

function ladder(p) {
  const box = document.getElementById('ladder');
  const cols = columnsOf(p);
  const CW = 150, X0 = 80, Y0 = 64, RH = 46;
  const x = (label) => X0 + cols.indexOf(label) * CW;
  const hopRows = p.copies.filter((c) => c[2] !== 0).length;
  const lossRows = p.findings.filter((f) => f.code === 'PATH_LOST').length;
  const rows = hopRows + Math.max(lossRows, p.findings.some((f) => f.code === 'NOT_CAPTURED' || f.code === 'UNDETERMINED') ? 1 : 0);
  const svg = sv('svg', { width: X0 + cols.length * CW, height: Y0 + rows * RH + 16, role: 'img', 'aria-label': 'path of packet ' + p.id });
  const defs = sv('defs');
  const marker = sv('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(sv('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#2f5fd0' }));
  defs.append(marker);
  svg.append(defs);
  cols.forEach((l) => {
    svg.append(sv('line', { class: 'col', x1: x(l), y1: Y0 - 14, x2: x(l), y2: Y0 + rows * RH - RH / 2 }));
    const t = sv('text', { x: x(l), y: 20, 'text-anchor': 'middle', class: 'mono' }, l.length > 22 ? l.slice(0, 21) + '…' : l);
    const exp = p.expected && p.expected.includes(l);
    svg.append(t);
    svg.append(sv('text', { x: x(l), y: 36, 'text-anchor': 'middle', class: 'small' }, exp ? 'expected' : 'seen'));
  });
  const ann = new Map();
  for (const f of p.findings) {
    if (f.code === 'TTL_CHANGE') ann.set(f.before, (ann.get(f.before) || []).concat('TTL ' + f.from + '→' + f.to));
    if (f.code === 'NAT_REWRITE') ann.set(f.before, (ann.get(f.before) || []).concat(f.side + 'NAT ' + f.from + '→' + f.to));
    if (f.code === 'MAC_REWRITE') ann.set(f.before, (ann.get(f.before) || []).concat('MAC rewritten'));
  }
  const last = new Map();
  let prevHop = null;
  let row = -1;
  p.copies.forEach((c) => {
    const l = D.points[c[0]].label;
    if (c[2] === 0) {
      // A bridge device's copy: an observation beside the hop it shares its time with, not a hop.
      const y = Y0 + Math.max(row, 0) * RH;
      svg.append(sv('circle', { class: 'obs', cx: x(l), cy: y, r: 5 }));
      svg.append(sv('text', { x: x(l), y: y + 18, class: 'small', 'text-anchor': 'middle' }, 'device copy'));
      return;
    }
    row++;
    const y = Y0 + row * RH;
    const from = c[4] !== null && last.has(c[4]) ? last.get(c[4]) : prevHop;
    if (from) {
      const fx = x(from.label);
      svg.append(sv('path', { class: 'hop', d: 'M' + fx + ',' + from.y + ' L' + (x(l) + (x(l) > fx ? -5 : x(l) < fx ? 5 : 0)) + ',' + (y - 3) }));
      const lx = x(l) > fx ? x(l) - 12 : x(l) + 12, anchor = x(l) > fx ? 'end' : 'start';
      svg.append(sv('text', { x: lx, y: y - 14, class: 'small', 'text-anchor': anchor }, '+' + dur(c[3])));
      (ann.get(l) || []).forEach((a, i) => svg.append(sv('text', { x: lx, y: y + 14 + i * 12, class: 'ann', 'text-anchor': anchor }, a)));
    } else {
      svg.append(sv('text', { x: 6, y: y + 4, class: 'small' }, '#' + p.id));
    }
    svg.append(sv('circle', { class: 'dot', cx: x(l), cy: y, r: 5 }));
    svg.append(sv('title', {}, l + ' at +' + dur(c[1])));
    const hop = { label: l, y };
    prevHop = hop;
    if (c[4] !== null) last.set(c[4], hop);
  });
  const yEnd = Y0 + (row + 1) * RH;
  let extra = 0;
  for (const f of p.findings) {
    if (f.code === 'PATH_LOST') {
      const y = yEnd + extra * RH;
      const g = sv('g', { class: 'loss', 'data-after': f.after, 'data-before': f.before });
      const xa = x(f.after), xb = x(f.before);
      g.append(sv('line', { x1: xa, y1: y - RH + 8, x2: (xa + xb) / 2, y2: y }));
      g.append(sv('text', { x: (xa + xb) / 2, y: y + 5, 'text-anchor': 'middle', 'font-size': 18 }, '✕'));
      g.append(sv('text', { x: (xa + xb) / 2, y: y + 22, 'text-anchor': 'middle' }, f.where === 'host-routing' ? "lost in the host's routing step" : 'lost here'));
      svg.append(g);
      extra++;
    } else if (f.code === 'NOT_CAPTURED') {
      const g = sv('g', { class: 'nc', 'data-point': f.point });
      g.append(sv('circle', { cx: x(f.point), cy: yEnd - RH / 2, r: 9 }));
      g.append(sv('text', { x: x(f.point), y: yEnd - RH / 2 + 24, 'text-anchor': 'middle', class: 'small' }, 'not captured'));
      svg.append(g);
    } else if (f.code === 'UNDETERMINED') {
      for (const m of f.missing) {
        const g = sv('g', { class: 'und', 'data-point': m.point });
        g.append(sv('text', { x: x(m.point), y: yEnd, 'text-anchor': 'middle', 'font-size': 18 }, '?'));
        svg.append(g);
      }
    }
  }
  const list = el('ul', { id: 'findings' }, ...p.findings.map((f) => el('li', { 'data-code': f.code }, findingText(f))));
  const head = el('p', {}, el('b', {}, '#' + p.id + ' '), el('span', { class: 'mono' }, p.summary), ' · ', el('span', { class: 'v-' + (p.verdict || 'none') }, p.verdict || 'nothing expected'), ' · ' + p.length + ' B · first copy at ' + isoNs(p.ts));
  box.replaceChildren(head, p.verdict === 'after-stop' ? el('p', { class: 'after-stop' }, 'This packet began after the trace was asked to stop: it has no verdict.') : '', svg, list);
}

function highlight(p) {
  for (const g of topoSvg.querySelectorAll('.pt, .bridge')) g.classList.remove('on', 'miss', 'gap');
  const seen = new Set(p.copies.map((c) => D.points[c[0]].label));
  const mark = (label, cls) => { const g = topoSvg.querySelector('[data-label="' + CSS.escape(label) + '"]'); if (g) g.classList.add(cls); };
  for (const l of seen) mark(l, 'on');
  for (const f of p.findings) {
    if (f.code === 'PATH_LOST') mark(f.before, 'miss');
    if (f.code === 'NOT_CAPTURED') mark(f.point, 'gap');
    if (f.code === 'UNDETERMINED') for (const m of f.missing) mark(m.point, 'gap');
  }
}

function select(p) {
  selected = p;
  for (const tr of document.querySelectorAll('#paths tbody tr')) tr.classList.toggle('sel', Number(tr.dataset.id) === p.id);
  ladder(p);
  highlight(p);
}

function hops(main) {
  const wrap = el('div', { id: 'hops' });
  for (const h of D.hops) {
    const W = 300, H = 80;
    const svg = sv('svg', { width: W, height: H + 22 });
    const lo = h.bins.findIndex((b) => b > 0);
    const n = h.bins.length - lo;
    const max = Math.max(...h.bins);
    const bw = W / Math.max(n, 1);
    h.bins.slice(lo).forEach((b, i) => { if (b) svg.append(sv('rect', { class: 'bar', x: i * bw + 1, y: H - (b / max) * (H - 8), width: Math.max(bw - 2, 1), height: (b / max) * (H - 8) })); });
    const at = (ns) => (Math.log2(Math.max(ns, 1)) - lo) * bw;
    if (h.p50Ns !== null) svg.append(sv('line', { class: 'pline p50', x1: at(h.p50Ns), x2: at(h.p50Ns), y1: 0, y2: H }));
    if (h.p99Ns !== null) svg.append(sv('line', { class: 'pline', x1: at(h.p99Ns), x2: at(h.p99Ns), y1: 0, y2: H }));
    svg.append(sv('text', { x: 0, y: H + 16, class: 'small' }, dur(2 ** lo)));
    svg.append(sv('text', { x: W, y: H + 16, class: 'small', 'text-anchor': 'end' }, dur(2 ** h.bins.length)));
    wrap.append(el('div', { class: 'hop' }, el('div', { class: 'mono' }, h.from + ' → ' + h.to),
      el('div', { class: 'meta' }, fmt(h.count) + ' hops · p50 ' + dur(h.p50Ns) + ' · p99 ' + dur(h.p99Ns)), svg));
  }
  main.append(el('section', {}, el('h2', {}, 'Hop latency'), D.hops.length ? wrap : el('p', { class: 'note' }, 'No complete path to measure hops on.'),
    el('p', { class: 'note' }, 'Bars: hops per power-of-two bucket of nanoseconds (complete paths only); green line p50, red line p99.')));
}

const main = el('main', {});
document.body.append(main);
header();
verifyBox(main);
topology(main);
pathsSection(main);
main.append(el('section', {}, el('h2', {}, 'Selected path'), el('div', { id: 'ladder' }, el('p', { class: 'note' }, 'Click a path in the list.'))));
hops(main);
pointsTable(main);
const first = D.paths.find((p) => p.verdict !== 'complete' && p.verdict !== null) || D.paths[0];
if (first) select(first);
document.body.dataset.ready = 'true';
})();
`;
