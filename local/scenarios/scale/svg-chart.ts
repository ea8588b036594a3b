/**
 * A tiny dependency-free SVG line chart (for the scaling benchmark and demo): stacked
 * panels sharing one x axis, each with its own y scale and optional dashed reference line.
 */
export interface Series {
  label: string;
  color: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  /** A horizontal reference, e.g. the acceptable latency. */
  reference?: { value: number; label: string };
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderChart(options: { title: string; xLabel: string; panels: Panel[]; width?: number; panelHeight?: number }): string {
  const width = options.width ?? 960;
  const panelHeight = options.panelHeight ?? 180;
  const left = 70;
  const right = 190;
  const top = 40;
  const gap = 50;
  const plotWidth = width - left - right;
  const height = top + options.panels.length * (panelHeight + gap) + 10;
  const allX = options.panels.flatMap((panel) => panel.series.flatMap((s) => s.points.map(([x]) => x)));
  const xMin = Math.min(...allX, 0);
  const xMax = Math.max(...allX, 1);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * plotWidth;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(options.title)}</text>`,
  ];
  options.panels.forEach((panel, index) => {
    const y0 = top + index * (panelHeight + gap);
    const values = panel.series.flatMap((s) => s.points.map(([, y]) => y)).concat(panel.reference ? [panel.reference.value] : []);
    const yMax = niceMax(Math.max(...values, 0) * 1.05);
    const sy = (y: number) => y0 + panelHeight - (Math.min(y, yMax) / yMax) * panelHeight;
    out.push(`<text x="${left}" y="${y0 - 8}" font-weight="bold">${escape(panel.title)}</text>`);
    out.push(`<rect x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`);
    for (let i = 0; i <= 4; i += 1) {
      const v = (yMax * i) / 4;
      out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
      out.push(`<text x="${left - 6}" y="${sy(v) + 4}" text-anchor="end">${+v.toFixed(1)}</text>`);
    }
    out.push(
      `<text x="16" y="${y0 + panelHeight / 2}" transform="rotate(-90 16 ${y0 + panelHeight / 2})" text-anchor="middle">${escape(panel.yLabel)}</text>`,
    );
    if (panel.reference) {
      const y = sy(panel.reference.value);
      out.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#c00" stroke-dasharray="6 4"/>`);
      out.push(`<text x="${left + plotWidth + 6}" y="${y + 4}" fill="#c00">${escape(panel.reference.label)}</text>`);
    }
    panel.series.forEach((series, s) => {
      const path = series.points.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      out.push(
        `<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.4"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
      const ly = y0 + 14 + s * 16;
      out.push(
        `<line x1="${left + plotWidth + 6}" x2="${left + plotWidth + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${series.color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="4 3"' : ''}/>`,
      );
      out.push(`<text x="${left + plotWidth + 30}" y="${ly}">${escape(series.label)}</text>`);
    });
    if (index === options.panels.length - 1) {
      for (let i = 0; i <= 6; i += 1) {
        const x = xMin + ((xMax - xMin) * i) / 6;
        out.push(`<text x="${sx(x)}" y="${y0 + panelHeight + 16}" text-anchor="middle">${+x.toFixed(1)}</text>`);
      }
      out.push(`<text x="${left + plotWidth / 2}" y="${y0 + panelHeight + 34}" text-anchor="middle">${escape(options.xLabel)}</text>`);
    }
  });
  out.push('</svg>');
  return out.join('\n');
}

/** A small terminal sparkline for live progress. */
export function sparkline(values: number[], max = Math.max(...values, 1)): string {
  const bars = '▁▂▃▄▅▆▇█';
  return values.map((v) => bars[Math.min(bars.length - 1, Math.round((v / (max || 1)) * (bars.length - 1)))]).join('');
}
