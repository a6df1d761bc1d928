// The peer benchmark's chart (bench/results/peers.svg), written by hand: req/s per variant, one group of bars
// per database, each bar with its round-to-round min–max and its numbers in text. A white card with dark
// text, so it reads the same on a light or a dark page.

const COLORS = { baseline: '#8c959f', actionroute: '#2f81f7', peer: '#e16f24' }
const LEGEND = [
  ['baseline', 'written by hand, no library'],
  ['actionroute', 'actionroute'],
  ['peer', 'other libraries'],
]
const WIDTH = 860
const LABEL_RIGHT = 220 // variant labels end here
const BAR_LEFT = 230
const BAR_SPACE = 400
const ROW = 26
const BAR = 16

const escape = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (value) => Math.round(value).toLocaleString('en')

/** A round tick step (1, 2, 2.5 or 5 × 10^n) giving at most six ticks, and the axis end: `value` rounded up to it. */
function scaleFor(value) {
  const power = 10 ** Math.floor(Math.log10(value / 5))
  const step = [1, 2, 2.5, 5, 10].map((multiple) => multiple * power).find((candidate) => value / candidate <= 6)
  return { top: Math.ceil(value / step) * step, step }
}

export function chart(data, variants) {
  const runs = data.runs
  const { top, step } = scaleFor(Math.max(...runs.flatMap((run) => Object.values(run.summary.stats).map((s) => s.max))))
  const x = (value) => BAR_LEFT + (value / top) * BAR_SPACE
  const parts = []
  const text = (tx, ty, content, attributes = '') => parts.push(`<text x="${tx}" y="${ty}"${attributes}>${escape(content)}</text>`)

  let y = 34
  text(20, y, 'Add-user requests per second, higher is better', ' font-size="16" font-weight="600"')
  y += 20
  text(
    20,
    y,
    `Median of ${data.config.rounds} round${data.config.rounds === 1 ? '' : 's'} of ${fmt(data.config.amount)} requests (line: min–max) · server CPU per request · ` +
      `next ${data.versions.next}, server on one core`,
    ' font-size="12" fill="#57606a"',
  )
  y += 18

  for (const run of runs) {
    y += 22
    text(20, y, run.label, ' font-size="14" font-weight="600"')
    y += 10
    const groupTop = y
    const groupBottom = y + variants.length * ROW
    for (let tick = 0; tick <= top; tick += step) {
      parts.push(`<line x1="${x(tick)}" y1="${groupTop}" x2="${x(tick)}" y2="${groupBottom}" stroke="#d8dee4" stroke-width="1"/>`)
    }
    for (const variant of variants) {
      const s = run.summary.stats[variant.id]
      const middle = y + ROW / 2
      text(LABEL_RIGHT, middle + 4, `(${variant.key}) ${variant.label}`, ' font-size="12" text-anchor="end"')
      parts.push(
        `<rect x="${BAR_LEFT}" y="${middle - BAR / 2}" width="${(x(s.rps) - BAR_LEFT).toFixed(1)}" height="${BAR}" rx="2" fill="${COLORS[variant.kind]}"/>`,
        `<line x1="${x(s.min).toFixed(1)}" y1="${middle}" x2="${x(s.max).toFixed(1)}" y2="${middle}" stroke="#24292f" stroke-width="1.5"/>`,
        ...[s.min, s.max].map(
          (value) => `<line x1="${x(value).toFixed(1)}" y1="${middle - 4}" x2="${x(value).toFixed(1)}" y2="${middle + 4}" stroke="#24292f" stroke-width="1.5"/>`,
        ),
      )
      const after = Math.max(x(s.rps), x(s.max)) + 8
      parts.push(
        `<text x="${after.toFixed(1)}" y="${middle + 4}" font-size="12"><tspan font-weight="600">${fmt(s.rps)}</tspan>` +
          `<tspan fill="#57606a"> req/s · ${fmt(s.cpuUs)} µs CPU/req</tspan></text>`,
      )
      y += ROW
    }
    y += 4
    for (let tick = 0; tick <= top; tick += step) text(x(tick), y + 10, fmt(tick), ' font-size="10" fill="#57606a" text-anchor="middle"')
    y += 12
  }

  y += 28
  let legendX = 20
  for (const [kind, label] of LEGEND) {
    parts.push(`<rect x="${legendX}" y="${y - 10}" width="12" height="12" rx="2" fill="${COLORS[kind]}"/>`)
    text(legendX + 18, y, label, ' font-size="12"')
    legendX += 30 + label.length * 7
  }
  const height = y + 18

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img"`,
    `  aria-label="Requests per second of each variant on ${runs.map((run) => run.label).join(' and ')}"`,
    '  font-family="-apple-system, BlinkMacSystemFont, \'Segoe UI\', Helvetica, Arial, sans-serif" fill="#1f2328">',
    `<rect x="0.5" y="0.5" width="${WIDTH - 1}" height="${height - 1}" rx="8" fill="#ffffff" stroke="#d0d7de"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}
