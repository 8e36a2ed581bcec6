// tracewire speaks rarely: each distinct warning is printed once, to stderr,
// prefixed so users know where it came from (the periodic summary of an
// ongoing export problem may repeat; its caller limits it to once a minute). OTEL_LOG_LEVEL=none silences it,
// debug adds detail.
const LEVELS = { none: 0, error: 1, warn: 2, info: 3, debug: 4, verbose: 5, all: 6 } as const;
type Level = keyof typeof LEVELS;

let threshold: number = LEVELS.warn;
const seen = new Set<string>();
const MAX_REMEMBERED = 256;

export function setLogLevel(value: string | undefined): void {
  const key = (value ?? '').trim().toLowerCase() as Level;
  threshold = key in LEVELS ? LEVELS[key] : LEVELS.warn;
}

function write(level: number, message: string): void {
  if (level > threshold) return;
  if (seen.has(message)) return;
  if (seen.size < MAX_REMEMBERED) seen.add(message);
  process.stderr.write(`[tracewire] ${message}\n`);
}

/** A warning that may be said again (its caller limits how often), so not deduplicated. */
function periodic(message: string): void {
  if (LEVELS.warn <= threshold) process.stderr.write(`[tracewire] ${message}\n`);
}

export const log = {
  error: (message: string): void => write(LEVELS.error, message),
  warn: (message: string): void => write(LEVELS.warn, message),
  info: (message: string): void => write(LEVELS.info, message),
  debug: (message: string): void => write(LEVELS.debug, message),
  periodic,
};
