/**
 * How benchmarks print: every figure on its own line as `name: value unit`, so the output can be
 * grepped and pasted; details (breakdowns, notes) indented below it.
 */
import { round } from './stats';

export interface Reporter {
  /** One figure: `name: value unit`. */
  figure(name: string, value: number | string, unit: string): void;
  /** A detail line, indented, under the last figure or heading. */
  note(text: string): void;
  /** A heading before a benchmark's figures. */
  heading(text: string): void;
}

/** Prints to stdout; numbers are rounded with {@link round}. */
export const consoleReporter: Reporter = {
  figure(name, value, unit) {
    process.stdout.write(`${name}: ${typeof value === 'number' ? round(value) : value} ${unit}\n`);
  },
  note(text) {
    process.stdout.write(`  ${text}\n`);
  },
  heading(text) {
    process.stdout.write(`\n# ${text}\n`);
  },
};
