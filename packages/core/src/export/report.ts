// What goes wrong with export (spans dropped, exports failed) is said at once
// the first time, then at most once a window (a minute) as one line of counts,
// so an outage is neither silent after its first message nor a flood.
// sdk.stats() has the same counts, cumulative.
import { now } from '../clock';
import { log } from '../logger';

export const REPORT_WINDOW_MILLIS = 60_000;

export interface FailureCounts {
  exports: number;
  spans: number;
  /** The last failure's message. */
  last: string;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The periodic line; undefined when nothing went wrong. Pure. */
export function summaryLine(seconds: number, drops: ReadonlyMap<string, number>, failures: FailureCounts): string | undefined {
  const parts: string[] = [];
  for (const [why, count] of drops) parts.push(`${plural(count, 'span')} dropped (${why})`);
  if (failures.exports > 0) parts.push(`${plural(failures.exports, 'export')} failed (${plural(failures.spans, 'span')}; last: ${failures.last})`);
  return parts.length === 0 ? undefined : `in the last ${seconds} s, ${parts.join(', ')}.`;
}

const FURTHER = ' Further drops and failures are summarized at most once a minute; currentSdk().stats() counts them.';

export class ExportReport {
  private readonly drops = new Map<string, number>();
  private failures: FailureCounts = { exports: 0, spans: 0, last: '' };
  /** Set while a window is open: a problem then is counted, not said. */
  private timer: NodeJS.Timeout | undefined;
  private windowStart = 0;
  /** Something happened since the last line. */
  private unsaid = false;

  constructor(
    private readonly windowMillis: number = REPORT_WINDOW_MILLIS,
    private readonly write: (line: string) => void = log.periodic,
  ) {}

  /** A span was dropped for `why` (a constant: no string is made per span); `first` is said if nothing was wrong before. */
  dropped(why: string, first: string): void {
    this.drops.set(why, (this.drops.get(why) ?? 0) + 1);
    this.problem(first);
  }

  failed(spans: number, error: Error | undefined): void {
    const message = error?.message ?? 'unknown error';
    this.failures.exports++;
    this.failures.spans += spans;
    this.failures.last = message;
    if (this.timer === undefined) this.problem(`export of ${plural(spans, 'span')} failed: ${message}.`);
    else this.unsaid = true;
  }

  /** Says what the window holds now (the process is ending). */
  flush(): void {
    if (this.unsaid) this.summarize();
  }

  /** Forgets the window (tracing stopped). */
  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.reset();
  }

  private problem(first: string): void {
    if (this.timer !== undefined) {
      this.unsaid = true;
      return;
    }
    this.write(first + FURTHER);
    this.unsaid = false;
    this.open();
  }

  private open(): void {
    this.windowStart = now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A quiet window closes: the next problem is said at once again.
      if (this.unsaid) {
        this.summarize();
        this.open();
      } else this.reset();
    }, this.windowMillis);
    this.timer.unref();
  }

  private summarize(): void {
    const line = summaryLine(Math.max(1, Math.round((now() - this.windowStart) / 1000)), this.drops, this.failures);
    if (line !== undefined) this.write(line);
    this.reset();
  }

  private reset(): void {
    this.drops.clear();
    this.failures = { exports: 0, spans: 0, last: '' };
    this.unsaid = false;
  }
}
