/**
 * Vitest reporter: in CI (`CI` set, as .ci/run does) a test that did not run fails the
 * run. A test that skips itself (a tool missing, not root, another platform) proves
 * nothing, and CI is where nobody reads the "skipped" count. Locally, a skip or a `-t`
 * filter is fine (with CI set, a filter fails the run too: unset CI to filter). `.only` is
 * refused by vitest itself once CI is set.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class NoSkipsInCi implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (!process.env.CI) return;
    const skipped: string[] = [];
    for (const m of testModules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state === 'skipped') skipped.push(`${m.relativeModuleId} > ${t.fullName}${r.note ? ` (${r.note})` : ''}`);
        else if (r.state === 'pending') skipped.push(`${m.relativeModuleId} > ${t.fullName} (never ran)`);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(`\nCI: ${skipped.length} test(s) did not run, which fails the run here:\n${skipped.map((s) => `  - ${s}`).join('\n')}\n`);
    process.exitCode = 1;
  }
}
