// Deploy progress on stderr: an ora spinner on a terminal, one plain line per step otherwise (CI, pipes),
// so logs stay readable and stdout carries only the result.

import ora from 'ora';
import type { CliIo } from './io.ts';

export interface Progress {
  step(text: string): void;
  done(text: string): void;
  fail(): void;
}

export function createProgress(io: CliIo, quiet = false): Progress {
  if (quiet) return { step() {}, done() {}, fail() {} };
  if (!io.interactive) {
    return {
      step: (text) => { io.stderr.write(`- ${text}\n`); },
      done: (text) => { io.stderr.write(`✔ ${text}\n`); },
      fail: () => {},
    };
  }
  const spinner = ora({ stream: io.stderr as NodeJS.WritableStream, discardStdin: false });
  return {
    step: (text) => { if (spinner.isSpinning) spinner.succeed(); spinner.start(text); },
    done: (text) => { if (spinner.isSpinning) spinner.succeed(); spinner.stopAndPersist({ symbol: '✔', text }); },
    fail: () => { if (spinner.isSpinning) spinner.fail(); },
  };
}
