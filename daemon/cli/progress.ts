/**
 * How `unirl run` shows a run on a terminal: a bar with rate and ETA that redraws in place on a
 * TTY, and plain lines (throttled) when the output is a file or a pipe.
 */
import type { RunEvent } from '../../schemas/protocol';

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** One progress line; the ETA appears only once the engine has one (after the warm-up steps). */
export function progressLine(event: Extract<RunEvent, { type: 'progress' }>, label: string, barWidth = 24): string {
  const fraction = event.total > 0 ? Math.min(1, event.step / event.total) : 0;
  const filled = Math.round(fraction * barWidth);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]`;
  const rate = event.stepsPerSecond !== null ? `  ${event.stepsPerSecond.toFixed(1)} steps/s` : '';
  const eta = event.etaSeconds !== null ? `  ETA ${formatDuration(event.etaSeconds)}` : '';
  return `${label} ${bar} ${event.step}/${event.total} ${(fraction * 100).toFixed(0).padStart(3)}%${rate}${eta}`;
}

export function metricLine(event: Extract<RunEvent, { type: 'metric' }>): string {
  const values = Object.entries(event.values)
    .map(([k, v]) => `${k}=${v === null ? 'null' : Number.isInteger(v) ? v : v.toPrecision(4)}`)
    .join(' ');
  return `stage ${event.stage} step ${event.step}: ${values}`;
}

export interface ProgressView {
  event(e: RunEvent): void;
  /** Ends an in-place line before other output. */
  done(): void;
}

export function progressView(stream: NodeJS.WriteStream, stageLabel: (stage: number) => string): ProgressView {
  const tty = stream.isTTY;
  let open = false;
  let lastPlain = 0;
  const line = (text: string): void => {
    if (open) stream.write('\n');
    open = false;
    stream.write(`${text}\n`);
  };
  return {
    event(e) {
      switch (e.type) {
        case 'progress': {
          const text = progressLine(e, stageLabel(e.stage));
          if (tty) {
            stream.write(`\r${text.slice(0, (stream.columns || 100) - 1)}\x1b[K`);
            open = true;
          } else {
            // Plain output: a line every 10% and at the end, not one per step.
            const decile = Math.floor((10 * e.step) / Math.max(1, e.total));
            if (decile > lastPlain || e.step === e.total || e.step === 1) line(text);
            lastPlain = Math.max(lastPlain, decile);
          }
          break;
        }
        case 'metric':
          line(metricLine(e));
          break;
        case 'log':
          line(`${e.level}: ${e.message}`);
          break;
        case 'state':
          line(`run ${e.state}${e.reason !== undefined ? `: ${e.reason}` : ''}`);
          break;
        case 'stage':
          lastPlain = 0;
          line(`${stageLabel(e.stage)} ${e.status}`);
          break;
        case 'result': {
          const tags = Object.entries(e.result.tags).map(([t, s]) => `${t} ${s.score === null ? '-' : s.score.toFixed(3)}`);
          line(`GenEval overall ${e.result.overall === null ? '-' : e.result.overall.toFixed(5)} (${tags.join(', ')}); outputs in ${e.path}`);
          break;
        }
        default:
          break;
      }
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
