import type { Reporter, TestModule } from 'vitest/node'

/**
 * Ends the run with one line over every suite, `Totals: N passed, N failed, N skipped`,
 * and repeats why any suite was left out, so a skip is never silent.
 */
export class TotalsReporter implements Reporter {
  constructor(private readonly leftOut: string[]) {}

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const count = { passed: 0, failed: 0, skipped: 0 }
    for (const testModule of testModules) {
      const moduleFailed = testModule.state() === 'failed'
      for (const test of testModule.children.allTests()) {
        const state = test.result().state
        if (state === 'passed') count.passed++
        else if (state === 'failed') count.failed++
        // Not run because its file failed around it (a beforeAll that threw or timed out): a failure, not a skip.
        else if (moduleFailed && (test.options.mode === 'run' || test.options.mode === 'only')) count.failed++
        else count.skipped++
      }
      // A file that failed to load has no tests to count: count it as a failure.
      if (testModule.state() === 'failed' && [...testModule.children.allTests()].length === 0) count.failed++
    }
    for (const reason of this.leftOut) console.log(`\nSKIPPED SUITE ${reason}`)
    console.log(`\nTotals: ${count.passed} passed, ${count.failed} failed, ${count.skipped} skipped`)
  }
}
