/**
 * A progress bar for long work, drawn on stderr only when it is a terminal (and never with
 * --json), so pipes and CI logs stay clean.
 */
export interface Progress {
  update(fraction: number, label: string): void;
  done(label?: string): void;
}

const WIDTH = 28;

export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  const on = enabled && stream.isTTY === true;
  let last = '';
  return {
    update(fraction, label) {
      if (!on) return;
      const f = Math.max(0, Math.min(1, fraction));
      const filled = Math.round(f * WIDTH);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(Math.round(f * 100)).padStart(3)}% ${label}`;
      if (line === last) return;
      last = line;
      stream.write(`\r${line.slice(0, (stream.columns ?? 100) - 1).padEnd(Math.min(last.length, 99))}`);
    },
    done(label) {
      if (!on) return;
      stream.write(`\r${' '.repeat(Math.min(last.length, (stream.columns ?? 100) - 1))}\r`);
      if (label) stream.write(`${label}\n`);
    },
  };
}
