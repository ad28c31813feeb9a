// A batch of FINRA data refused whole (a week, a daily file): a stable reason, and what was wrong,
// listed up to a limit so a file with a million bad rows still makes a readable log line.
const MAX_DETAILS = 50;

export class RefusedError<Reason extends string> extends Error {
  constructor(
    readonly reason: Reason,
    readonly details: string[],
  ) {
    const shown = details.slice(0, 5).join('; ');
    super(`${reason}: ${shown}${details.length > 5 ? ` (and ${details.length - 5} more)` : ''}`);
  }
}

/** Adds a detail to a refusal's list; past the limit, one "..." says there were more. */
export function collect(list: string[], message: string): void {
  if (list.length < MAX_DETAILS) list.push(message);
  else if (list.length === MAX_DETAILS) list.push('...');
}
