/**
 * A small hand-rolled SVG bar chart for bench/peers.ts: a grid of panels, each
 * with groups of bars (one bar per series), min–max whiskers, a y axis with
 * ticks and grid lines, value labels, and one legend. No dependencies.
 */

export interface Series {
  key: string;
  label: string;
  color: string;
}

export interface BarValue {
  median: number;
  min: number;
  max: number;
}

export interface Panel {
  title: string;
  /** y-axis label, e.g. "tokens/s (higher is better)" */
  unit: string;
  groups: { label: string; values: Record<string, BarValue | null | undefined> }[];
}

export interface ChartOptions {
  title: string;
  subtitle: string;
  note: string;
  series: Series[];
  panels: Panel[];
  columns: number;
}

const FONT = 'font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const r1 = (x: number): string => (Math.round(x * 10) / 10).toString();

/** 12.3, 123, 1.2k, 12k */
export function compact(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  if (a >= 10000) return `${Math.round(x / 1000)}k`;
  if (a >= 1000) return `${(x / 1000).toFixed(1)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** An axis label: 0, 250, 1.5k, 20k, 0.5 — as many decimals as the step needs. */
function tickLabel(v: number, step: number): string {
  if (v === 0) return '0';
  if (step >= 1000) {
    const d = Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9));
    return `${(v / 1000).toFixed(d)}k`;
  }
  const d = step >= 1 ? 0 : Math.ceil(-Math.log10(step) - 1e-9);
  return v.toFixed(d);
}

/** A "nice" tick step giving about `n` ticks up to `max`. */
function niceStep(max: number, n: number): number {
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function panelSvg(panel: Panel, series: Series[], x0: number, y0: number, w: number, h: number): string[] {
  const out: string[] = [];
  const left = 58;
  const right = 8;
  const top = 30;
  const bottom = 34;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const values = panel.groups.flatMap((g) => series.map((s) => g.values[s.key]).filter((v): v is BarValue => !!v && Number.isFinite(v.median)));
  const dataMax = Math.max(1e-9, ...values.map((v) => Math.max(v.median, Number.isFinite(v.max) ? v.max : v.median)));
  const step = niceStep(dataMax * 1.12, 4);
  const yMax = Math.ceil((dataMax * 1.12) / step) * step;
  const y = (v: number): number => y0 + top + ph - (v / yMax) * ph;

  out.push(`<text x="${r1(x0 + 24)}" y="${r1(y0 + 16)}" font-size="13" font-weight="600" fill="#1f2328">${esc(panel.title)}</text>`);
  out.push(
    `<text transform="translate(${r1(x0 + 13)},${r1(y0 + top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="11" fill="#57606a">${esc(panel.unit)}</text>`,
  );
  for (let v = 0; v <= yMax + step / 2; v += step) {
    const yy = y(v);
    out.push(`<line x1="${r1(x0 + left)}" x2="${r1(x0 + left + pw)}" y1="${r1(yy)}" y2="${r1(yy)}" stroke="${v === 0 ? '#57606a' : '#d0d7de'}" stroke-width="1"/>`);
    out.push(`<text x="${r1(x0 + left - 5)}" y="${r1(yy + 4)}" text-anchor="end" font-size="11" fill="#57606a">${esc(tickLabel(v, step))}</text>`);
  }
  const gw = pw / Math.max(1, panel.groups.length);
  const bw = (gw * 0.78) / series.length;
  panel.groups.forEach((g, gi) => {
    const gx = x0 + left + gi * gw + gw * 0.11;
    out.push(`<text x="${r1(x0 + left + gi * gw + gw / 2)}" y="${r1(y0 + top + ph + 18)}" text-anchor="middle" font-size="12" fill="#1f2328">${esc(g.label)}</text>`);
    series.forEach((s, si) => {
      const v = g.values[s.key];
      const bx = gx + si * bw;
      if (!v || !Number.isFinite(v.median)) {
        out.push(`<text x="${r1(bx + bw / 2)}" y="${r1(y(0) - 4)}" text-anchor="middle" font-size="10" fill="#57606a">n/a</text>`);
        return;
      }
      const yt = y(v.median);
      out.push(
        `<rect x="${r1(bx + 1)}" y="${r1(yt)}" width="${r1(Math.max(1, bw - 2))}" height="${r1(Math.max(0, y(0) - yt))}" fill="${s.color}"><title>${esc(
          `${s.label} — ${g.label}: median ${compact(v.median)} [${compact(v.min)}–${compact(v.max)}]`,
        )}</title></rect>`,
      );
      let labelY = yt;
      if (Number.isFinite(v.min) && Number.isFinite(v.max) && v.max > v.min) {
        const cx = bx + bw / 2;
        const cap = Math.min(6, bw / 3);
        out.push(`<line x1="${r1(cx)}" x2="${r1(cx)}" y1="${r1(y(v.min))}" y2="${r1(y(v.max))}" stroke="#24292f" stroke-width="1.2"/>`);
        out.push(`<line x1="${r1(cx - cap)}" x2="${r1(cx + cap)}" y1="${r1(y(v.max))}" y2="${r1(y(v.max))}" stroke="#24292f" stroke-width="1.2"/>`);
        out.push(`<line x1="${r1(cx - cap)}" x2="${r1(cx + cap)}" y1="${r1(y(v.min))}" y2="${r1(y(v.min))}" stroke="#24292f" stroke-width="1.2"/>`);
        labelY = Math.min(yt, y(v.max));
      }
      out.push(`<text x="${r1(bx + bw / 2)}" y="${r1(labelY - 4)}" text-anchor="middle" font-size="10.5" fill="#1f2328">${esc(compact(v.median))}</text>`);
    });
  });
  return out;
}

/** The whole chart as an SVG document. */
export function renderChart(o: ChartOptions): string {
  const panelW = 440;
  const panelH = 236;
  const gapX = 16;
  const gapY = 12;
  const headH = 78;
  const footH = 26;
  const cols = Math.max(1, o.columns);
  const rows = Math.ceil(o.panels.length / cols);
  const width = cols * panelW + (cols - 1) * gapX + 24;
  const height = headH + rows * panelH + (rows - 1) * gapY + footH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="700" fill="#1f2328">${esc(o.title)}</text>`,
    `<text x="12" y="43" font-size="11.5" fill="#57606a">${esc(o.subtitle)}</text>`,
  ];
  let lx = 12;
  for (const s of o.series) {
    out.push(`<rect x="${lx}" y="54" width="14" height="14" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 19}" y="65.5" font-size="12.5" fill="#1f2328">${esc(s.label)}</text>`);
    lx += 19 + s.label.length * 7.4 + 22;
  }
  o.panels.forEach((p, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    out.push(...panelSvg(p, o.series, 12 + c * (panelW + gapX), headH + r * (panelH + gapY), panelW, panelH));
  });
  out.push(`<text x="12" y="${height - 9}" font-size="11" fill="#57606a">${esc(o.note)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
