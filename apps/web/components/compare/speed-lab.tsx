'use client'

import { useId, useState } from 'react'
import { postAddUser, postAddUserAction } from '../add-user-calls'
import { useHydrated } from '../use-hydrated'
import { callFrom, summarize, type Call, type Mode, type Series } from './speed'
import { captureWire, DOOR_TITLE, type Door, type Exchange } from './wire'

const MODE_TITLE: Record<Mode, string> = { serial: 'one at a time', parallel: 'all at once' }
const PLAN: { door: Door; mode: Mode }[] = [
  { door: 'action', mode: 'serial' },
  { door: 'route', mode: 'serial' },
  { door: 'action', mode: 'parallel' },
  { door: 'route', mode: 'parallel' },
]
const SIZES = [3, 5, 8] as const

interface Outcome {
  name: string
  calledAt: number
  settledAt: number
  ok: boolean
  error?: string
}

/** One call through a door; never throws, the outcome says how it went. */
async function callDoor(door: Door, name: string): Promise<Outcome> {
  const calledAt = performance.now()
  let ok = false
  let error: string | undefined
  if (door === 'action') {
    const state = await postAddUserAction({ name }).catch((thrown: unknown) => ({ status: 'error' as const, formError: String(thrown) }))
    ok = state.status === 'success'
    if (state.status === 'error') error = state.formError
  } else {
    const answer = await postAddUser({ name })
    ok = answer.status >= 200 && answer.status < 300
    if (!ok) error = (answer.body as { detail?: string } | null)?.detail ?? `HTTP ${answer.status}`
  }
  return { name, calledAt, settledAt: performance.now(), ok, ...(error === undefined ? {} : { error }) }
}

async function runSeries(door: Door, mode: Mode, size: number, runId: string): Promise<{ door: Door; mode: Mode; startedAt: number; outcomes: Outcome[] }> {
  const names = Array.from({ length: size }, (_, index) => `Speed ${door} ${mode} ${index + 1} #${runId}`)
  const startedAt = performance.now()
  const outcomes: Outcome[] = []
  if (mode === 'serial') for (const name of names) outcomes.push(await callDoor(door, name))
  else outcomes.push(...(await Promise.all(names.map((name) => callDoor(door, name)))))
  return { door, mode, startedAt, outcomes }
}

const seriesFrom = (run: Awaited<ReturnType<typeof runSeries>>, exchanges: Exchange[]): Series => ({
  door: run.door,
  mode: run.mode,
  startedAt: run.startedAt,
  calls: run.outcomes.map(({ name, calledAt, settledAt, ...outcome }) => callFrom(name, calledAt, settledAt, exchanges, outcome)),
})

/**
 * Adds N users through each door, one at a time and then all at once, timing every call from the browser.
 * All at once shows the difference the docs put in words: Next sends a page's Server Actions one after
 * another, while fetches to a route go out together.
 */
export function SpeedLab() {
  const hydrated = useHydrated()
  const [size, setSize] = useState<number>(5)
  const [running, setRunning] = useState(false)
  const [results, setResults] = useState<Series[] | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const sizeId = useId()

  async function run() {
    setRunning(true)
    setFailure(null)
    try {
      const runId = Math.random().toString(36).slice(2, 6)
      const { value, exchanges } = await captureWire(async () => {
        const runs = []
        for (const { door, mode } of PLAN) runs.push(await runSeries(door, mode, size, runId))
        return runs
      })
      setResults(value.map((series) => seriesFrom(series, exchanges)))
    } catch (error) {
      setFailure(`The run failed: ${String(error)}`)
    } finally {
      setRunning(false)
    }
  }

  const failed = results?.flatMap((series) => series.calls.filter((call) => !call.ok)) ?? []
  return (
    <div className="lab">
      <div className="toolbar">
        <div className="field narrow">
          <label htmlFor={sizeId}>Calls per door</label>
          <select id={sizeId} value={size} onChange={(event) => setSize(Number(event.target.value))}>
            {SIZES.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <button type="button" onClick={run} disabled={!hydrated || running} aria-busy={running}>
          {running ? 'Running…' : 'Run the speed test'}
        </button>
      </div>
      <p className="meta">
        Adds {size * PLAN.length} users named “Speed …” to the directory: {size} per door, one at a time, then {size} per door all at
        once.
      </p>
      <div role="status">
        {failure ? <p className="error">{failure}</p> : null}
        {results ? (
          <p className={failed.length ? 'error' : 'success'}>
            {failed.length
              ? `${failed.length} of ${results.length * size} calls failed: ${failed[0]!.error ?? 'no answer'}`
              : `Done: ${results.length * size} calls, all saved.`}
          </p>
        ) : null}
      </div>
      {results ? <SpeedResults results={results} /> : null}
    </div>
  )
}

function SpeedResults({ results }: { results: Series[] }) {
  const summaries = results.map((series) => ({ series, summary: summarize(series) }))
  const actionParallel = summaries.find(({ series }) => series.door === 'action' && series.mode === 'parallel')?.summary
  const routeParallel = summaries.find(({ series }) => series.door === 'route' && series.mode === 'parallel')?.summary
  return (
    <>
      <table className="numbers" aria-label="Speed results">
        <thead>
          <tr>
            <th scope="col">Door</th>
            <th scope="col">Calls</th>
            <th scope="col">Median, call to answer</th>
            <th scope="col">Slowest</th>
            <th scope="col">All done after</th>
            <th scope="col">Most awaiting an answer at once</th>
            <th scope="col">Longest wait before sending</th>
          </tr>
        </thead>
        <tbody>
          {summaries.map(({ series, summary }) => (
            <tr key={`${series.door}-${series.mode}`} data-series={`${series.door}-${series.mode}`}>
              <th scope="row">{DOOR_TITLE[series.door]}</th>
              <td>
                {series.calls.length}, {MODE_TITLE[series.mode]}
              </td>
              <td>{Math.round(summary.medianMs)} ms</td>
              <td>{Math.round(summary.maxMs)} ms</td>
              <td>{Math.round(summary.wallMs)} ms</td>
              <td data-testid="max-in-flight">{summary.maxInFlight}</td>
              <td data-testid="max-queued">{Math.round(summary.maxQueuedMs)} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
      {actionParallel && routeParallel ? (
        <p data-testid="speed-verdict">
          All at once, the Server Action calls went out <strong>{actionParallel.maxInFlight === 1 ? 'one after another' : `${actionParallel.maxInFlight} at a time`}</strong>{' '}
          (the last waited {Math.round(actionParallel.maxQueuedMs)} ms before it was sent) and were all done after{' '}
          {Math.round(actionParallel.wallMs)} ms; the API route calls had <strong>{routeParallel.maxInFlight} awaiting an answer at once</strong> and were all
          done after {Math.round(routeParallel.wallMs)} ms.
        </p>
      ) : null}
      <figure>
        <Timeline results={results} />
        <figcaption>
          Timeline: each bar is one call, from the moment the page made it. Pale: waiting to be sent; solid: sent, waiting for the answer; thin: the answer’s body arriving.
        </figcaption>
      </figure>
      <figure>
        <Distribution results={results} />
        <figcaption>Distribution: each dot is one call’s time from call to answer; the line is the median.</figcaption>
      </figure>
    </>
  )
}

// ---- charts: plain SVG, coloured by CSS classes (light and dark), sized by the viewBox

const WIDTH = 640
const LABEL = 190
const PLOT = WIDTH - LABEL - 16
const BAR = 10
const GAP = 4

const label = (series: Series) => `${DOOR_TITLE[series.door]}, ${MODE_TITLE[series.mode]}`

function ticks(max: number): number[] {
  const step = niceStep(max / 4)
  return Array.from({ length: Math.floor(max / step) + 1 }, (_, index) => index * step)
}

function niceStep(rough: number): number {
  if (rough <= 0) return 1
  const power = 10 ** Math.floor(Math.log10(rough))
  return ([1, 2, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power
}

function Axis({ max, y, scale }: { max: number; y: number; scale: (ms: number) => number }) {
  return (
    <g className="axis">
      <line x1={LABEL} x2={LABEL + PLOT} y1={y} y2={y} />
      {ticks(max).map((ms) => (
        <g key={ms}>
          <line x1={scale(ms)} x2={scale(ms)} y1={y} y2={y + 4} />
          <text x={scale(ms)} y={y + 16} textAnchor="middle">
            {ms} ms
          </text>
        </g>
      ))}
    </g>
  )
}

function Timeline({ results }: { results: Series[] }) {
  const max = Math.max(1, ...results.flatMap((series) => series.calls.map((call) => call.settledAt - series.startedAt)))
  const scale = (ms: number) => LABEL + (PLOT * ms) / max
  const blockHeight = (series: Series) => series.calls.length * (BAR + GAP) + 14
  const blocks = results.map((series, index) => ({ series, top: 8 + results.slice(0, index).reduce((sum, above) => sum + blockHeight(above), 0) }))
  const height = 8 + results.reduce((sum, series) => sum + blockHeight(series), 0) + 24
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="Timeline of every call, per door and mode">
      {blocks.map(({ series, top }) => (
        <g key={`${series.door}-${series.mode}`} data-series={`${series.door}-${series.mode}`}>
          <text x={0} y={top + BAR} className="chart-label">
            {label(series)}
          </text>
          {series.calls.map((call: Call, index) => {
            const rowY = top + index * (BAR + GAP)
            const at = (time: number) => scale(time - series.startedAt)
            return (
              <g key={call.name}>
                <rect className="queued" x={at(call.calledAt)} y={rowY} width={Math.max(0, at(call.sentAt) - at(call.calledAt))} height={BAR} />
                <rect
                  className={`wire door-${series.door}${call.ok ? '' : ' failed'}`}
                  x={at(call.sentAt)}
                  y={rowY}
                  width={Math.max(1, at(call.headersAt) - at(call.sentAt))}
                  height={BAR}
                />
                <rect className={`body door-${series.door}`} x={at(call.headersAt)} y={rowY + BAR / 4} width={Math.max(0, at(call.answeredAt) - at(call.headersAt))} height={BAR / 2} />
              </g>
            )
          })}
        </g>
      ))}
      <Axis max={max} y={height - 22} scale={scale} />
    </svg>
  )
}

function Distribution({ results }: { results: Series[] }) {
  const max = Math.max(1, ...results.flatMap((series) => series.calls.map((call) => call.settledAt - call.calledAt)))
  const scale = (ms: number) => LABEL + (PLOT * ms) / max
  const ROW = 28
  const height = results.length * ROW + 30
  return (
    <svg className="chart" viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-label="Distribution of call times, per door and mode">
      {results.map((series, index) => {
        const y = 8 + index * ROW
        const { medianMs } = summarize(series)
        return (
          <g key={`${series.door}-${series.mode}`}>
            <text x={0} y={y + 14} className="chart-label">
              {label(series)}
            </text>
            <line className="median" x1={scale(medianMs)} x2={scale(medianMs)} y1={y} y2={y + 20} />
            {series.calls.map((call) => (
              <circle
                key={call.name}
                className={`door-${series.door}${call.ok ? '' : ' failed'}`}
                cx={scale(call.settledAt - call.calledAt)}
                cy={y + 10}
                r={5}
              />
            ))}
          </g>
        )
      })}
      <Axis max={max} y={height - 22} scale={scale} />
    </svg>
  )
}
