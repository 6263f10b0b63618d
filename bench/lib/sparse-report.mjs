// Turns the JSON of bench/sparse.mjs into the speedup table (markdown) and the speedup-curve plot (SVG)
// of docs/sparse.md. Plain string building: no plotting dependency.

const COLORS = { '4x16': '#1f77b4', '1x16': '#d62728' };

/** Markdown table: one row per (build, bits, N x K, M, block), one column per sparsity. */
export function speedupTable(results) {
  const sparse = results.filter((r) => r.impl.startsWith('sparse'));
  const sparsities = [...new Set(sparse.map((r) => r.sparsity))].sort((a, b) => a - b);
  const keys = [...new Set(sparse.map((r) => `${r.build}|${r.impl}|${r.N}|${r.K}|${r.M}|${r.block}`))];
  const lines = [
    `| build | weights | N x K | M | block | dense GOPS | ${sparsities.map((s) => `s=${s}`).join(' | ')} |`,
    `|---|---|---|---|---|---|${sparsities.map(() => '---').join('|')}|`,
  ];
  for (const key of keys) {
    const [build, impl, N, K, M, block] = key.split('|');
    const row = sparse.filter((r) => `${r.build}|${r.impl}|${r.N}|${r.K}|${r.M}|${r.block}` === key);
    const dense = results.find((r) => r.impl === impl.replace('sparse', 'dense') && r.build === build && `${r.N}` === N && `${r.K}` === K && `${r.M}` === M);
    const cells = sparsities.map((s) => {
      const r = row.find((x) => x.sparsity === s);
      return r ? `${r.speedup_vs_dense.toFixed(2)}x` : '';
    });
    lines.push(`| ${build} | ${impl.replace('sparse-', '')} | ${N} x ${K} | ${M} | ${block} | ${dense?.gops_effective ?? ''} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/**
 * SVG: one row of panels per weight width, one panel per M; x = sparsity, y = speedup over the dense
 * kernel of the same width (log scale); a line per block shape and (N, K) for one build; the issue's bars
 * as markers.
 */
export function speedupSvg(results, { build = 'relaxed', impls = ['sparse-w8'], title = '' } = {}) {
  const Ms = [...new Set(results.map((r) => r.M))].sort((a, b) => a - b);
  const W = 300, H = 260, padL = 46, padR = 10, padT = 34, padB = 40;
  const width = Ms.length * W, height = impls.length * H + 30;
  const yMin = 0.25, yMax = 16;
  const ly = (v) => padT + (H - padT - padB) * (1 - Math.log2(Math.max(yMin, Math.min(yMax, v)) / yMin) / Math.log2(yMax / yMin));
  const lx = (s) => padL + (W - padL - padR) * s;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`];
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`);
  const bars = { 1: [[0.5, 1.6], [0.9, 5]], 128: [[0.9, 3]] };
  impls.forEach((impl, row) => {
  const rows = results.filter((r) => r.impl === impl && r.build === build);
  Ms.forEach((M, i) => {
    const g = [`<g transform="translate(${i * W},${20 + row * H})">`];
    g.push(`<text x="${(padL + W - padR) / 2}" y="${padT - 10}" text-anchor="middle" font-size="12">${impl.replace('sparse-', '')} weights, M = ${M}</text>`);
    for (const t of [0.25, 0.5, 1, 2, 4, 8, 16]) {
      g.push(`<line x1="${padL}" x2="${W - padR}" y1="${ly(t)}" y2="${ly(t)}" stroke="${t === 1 ? '#000' : '#ddd'}" stroke-width="${t === 1 ? 1 : 0.6}"/>`);
      g.push(`<text x="${padL - 4}" y="${ly(t) + 4}" text-anchor="end">${t}x</text>`);
    }
    for (const s of [0, 0.2, 0.3, 0.5, 0.7, 0.9]) {
      g.push(`<line x1="${lx(s)}" x2="${lx(s)}" y1="${ly(yMin)}" y2="${ly(yMin) + 4}" stroke="#000"/>`);
      g.push(`<text x="${lx(s)}" y="${ly(yMin) + 15}" text-anchor="middle">${s}</text>`);
    }
    g.push(`<text x="${(padL + W - padR) / 2}" y="${ly(yMin) + 30}" text-anchor="middle">sparsity (fraction of zero blocks)</text>`);
    for (const [s, v] of bars[M] ?? []) {
      g.push(`<path d="M${lx(s) - 6},${ly(v)} h12 M${lx(s)},${ly(v) - 6} v12" stroke="#2ca02c" stroke-width="2"/>`);
    }
    const series = [...new Set(rows.filter((r) => r.M === M).map((r) => `${r.block}|${r.N}|${r.K}`))];
    series.forEach((key, j) => {
      const [block, N, K] = key.split('|');
      const pts = rows.filter((r) => r.M === M && `${r.block}|${r.N}|${r.K}` === key).sort((a, b) => a.sparsity - b.sparsity);
      const dash = N === '2048' ? '' : ' stroke-dasharray="5,3"';
      g.push(`<polyline fill="none" stroke="${COLORS[block] ?? '#555'}" stroke-width="1.8"${dash} points="${pts.map((p) => `${lx(p.sparsity).toFixed(1)},${ly(p.speedup_vs_dense).toFixed(1)}`).join(' ')}"/>`);
      for (const p of pts) g.push(`<circle cx="${lx(p.sparsity).toFixed(1)}" cy="${ly(p.speedup_vs_dense).toFixed(1)}" r="2.2" fill="${COLORS[block] ?? '#555'}"/>`);
      if (i === 0) {
        const y = padT + 8 + j * 14;
        g.push(`<line x1="${padL + 8}" x2="${padL + 28}" y1="${y}" y2="${y}" stroke="${COLORS[block] ?? '#555'}" stroke-width="1.8"${dash}/>`);
        g.push(`<text x="${padL + 32}" y="${y + 4}">${block}, N=${N}, K=${K}</text>`);
      }
    });
    if (i === 0) g.push(`<path d="M${padL + 12},${padT + 8 + series.length * 14} h12 M${padL + 18},${padT + 2 + series.length * 14} v12" stroke="#2ca02c" stroke-width="2"/><text x="${padL + 32}" y="${padT + 12 + series.length * 14}">issue bar</text>`);
    g.push('</g>');
    out.push(...g);
  });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
