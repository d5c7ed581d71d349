/**
 * Charts for bench/results as plain SVG (no dependency): a cumulative distribution of durations, one line a
 * series, with an optional goal marked; and a bar chart of named values.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const W = 720;
const H = 400;
const M = { left: 64, right: 24, top: 40, bottom: 56 };
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function frame(title: string, xLabel: string, yLabel: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
    body,
    '</svg>',
  ].join('\n');
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

/** Each series' values (seconds, say) as a CDF: x the value, y the share of items at or below it. */
export function cdfChart(
  title: string,
  unit: string,
  series: { label: string; values: number[] }[],
  goal?: { value: number; label: string },
): string {
  const xMax = niceMax(Math.max(...series.flatMap((s) => s.values), goal?.value ?? 0));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + (v / xMax) * pw;
  const y = (share: number) => M.top + (1 - share) * ph;
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = (xMax / 5) * i;
    parts.push(`<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${x(v)}" y="${y(0) + 16}" text-anchor="middle">${Number(v.toFixed(2))}</text>`);
    const share = i / 5;
    parts.push(`<line x1="${x(0)}" y1="${y(share)}" x2="${x(xMax)}" y2="${y(share)}" stroke="#eee"/>`);
    parts.push(`<text x="${x(0) - 6}" y="${y(share) + 4}" text-anchor="end">${Math.round(share * 100)}%</text>`);
  }
  parts.push(`<rect x="${x(0)}" y="${y(1)}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  if (goal) {
    parts.push(
      `<line x1="${x(goal.value)}" y1="${y(0)}" x2="${x(goal.value)}" y2="${y(1)}" stroke="#555" stroke-dasharray="6 4"/>`,
      `<text x="${x(goal.value) + 4}" y="${y(1) + 14}" fill="#555">${esc(goal.label)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const sorted = [...s.values].sort((a, b) => a - b);
    const points = sorted.map((v, k) => `${x(v).toFixed(1)},${y((k + 1) / sorted.length).toFixed(1)}`);
    const colour = COLOURS[i % COLOURS.length]!;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${x(0)},${y(0)} ${points.join(' ')}"/>`,
    );
    parts.push(`<rect x="${M.left + 12}" y="${M.top + 10 + i * 18}" width="12" height="12" fill="${colour}"/>`);
    parts.push(`<text x="${M.left + 30}" y="${M.top + 20 + i * 18}">${esc(s.label)}</text>`);
  });
  return frame(title, unit, 'share of items at or below', parts.join('\n'));
}

/** Named values as bars, with an optional goal line. */
export function barChart(
  title: string,
  unit: string,
  bars: { label: string; value: number }[],
  goal?: { value: number; label: string },
): string {
  const yMax = niceMax(Math.max(...bars.map((b) => b.value), goal?.value ?? 0));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const y = (v: number) => M.top + (1 - v / yMax) * ph;
  const slot = pw / bars.length;
  const parts: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    parts.push(`<line x1="${M.left}" y1="${y(v)}" x2="${M.left + pw}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${Number(v.toFixed(2))}</text>`);
  }
  bars.forEach((b, i) => {
    const left = M.left + i * slot + slot * 0.2;
    parts.push(
      `<rect x="${left}" y="${y(b.value)}" width="${slot * 0.6}" height="${y(0) - y(b.value)}" fill="${COLOURS[i % COLOURS.length]}"/>`,
      `<text x="${left + slot * 0.3}" y="${y(b.value) - 6}" text-anchor="middle">${Number(b.value.toFixed(1))}</text>`,
      `<text x="${left + slot * 0.3}" y="${y(0) + 16}" text-anchor="middle">${esc(b.label)}</text>`,
    );
  });
  if (goal)
    parts.push(
      `<line x1="${M.left}" y1="${y(goal.value)}" x2="${M.left + pw}" y2="${y(goal.value)}" stroke="#555" stroke-dasharray="6 4"/>`,
      `<text x="${M.left + pw - 4}" y="${y(goal.value) - 6}" text-anchor="end" fill="#555">${esc(goal.label)}</text>`,
    );
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  return frame(title, '', unit, parts.join('\n'));
}

export function writeChart(name: string, svg: string): string {
  const file = join(__dirname, '..', 'results', `${name}.svg`);
  writeFileSync(file, `${svg}\n`);
  return file;
}
