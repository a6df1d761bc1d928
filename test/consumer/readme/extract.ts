/** One file a README sample writes: its path in the app, its text, and the sample it came from (1-based, in order). */
export interface SampleFile {
  path: string
  text: string
  sample: number
  line: number
}

// A sample names its file on its first line, `// app/actions.ts` (a note may follow after `:`, `;` or `,`); a sample
// may hold several files, each starting after a blank line with such a line.
const HEADER = /^\/\/ ((?:[\w.@[\]-]+\/)*[\w.@[\]-]+\.(?:ts|tsx|mts|mjs))(?:[:;,].*)?$/

/**
 * The code samples of a README (```ts, ```tsx and ```js blocks), in order, split into the files they write.
 * A sample without a file line is returned in `unnamed`, so a test can say which one.
 */
export function extractSamples(markdown: string): { files: SampleFile[]; unnamed: { sample: number; line: number; text: string }[] } {
  const files: SampleFile[] = []
  const unnamed: { sample: number; line: number; text: string }[] = []
  const fence = /^```(ts|tsx|js)\n([\s\S]*?)^```$/gm
  let sample = 0
  for (let match = fence.exec(markdown); match; match = fence.exec(markdown)) {
    sample++
    const startLine = markdown.slice(0, match.index).split('\n').length + 1
    const lines = match[2]!.replace(/\n$/, '').split('\n')
    if (!HEADER.test(lines[0]!)) {
      unnamed.push({ sample, line: startLine, text: lines.slice(0, 3).join('\n') })
      continue
    }
    let current: SampleFile | undefined
    lines.forEach((text, index) => {
      const header = HEADER.exec(text)
      if (header && (index === 0 || lines[index - 1] === '')) {
        current = { path: header[1]!, text: '', sample, line: startLine + index }
        files.push(current)
      }
      current!.text += `${text}\n`
    })
  }
  return { files, unnamed }
}
