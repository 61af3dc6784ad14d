/**
 * The one rule for a person's full name, whichever door sets it (sign-up,
 * `user add`, the seed file): one line of at most MAX_FULL_NAME_LENGTH code
 * points, trimmed. A name is shown in pages and tables beside our own words,
 * so it may not carry what makes text read as something other than it is:
 * line breaks (a second "line" that looks like ours, or a mail header),
 * control characters (terminal escapes in `user list`), and the invisible
 * bidi overrides and isolates that show characters in another order than
 * they are stored.
 */
export const MAX_FULL_NAME_LENGTH = 100;

export type FullNameProblem = 'empty' | 'too-long' | 'line-break' | 'control' | 'direction';

export type FullNameCheck =
  | { isValid: true; fullName: string }
  | { isValid: false; fullName: string; problem: FullNameProblem };

// The line breaks among the control characters, plus U+2028/U+2029 (not in Cc).
const LINE_BREAK = /[\n\v\f\r\u0085\u2028\u2029]/u;
const CONTROL = /\p{Cc}/u;
// LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
const DIRECTION_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;

/** Trims `input` and says whether it is a usable full name, and if not, why. */
export function checkFullName(input: string): FullNameCheck {
  const fullName = input.trim();
  const problem = findProblem(fullName);
  return problem === undefined
    ? { isValid: true, fullName }
    : { isValid: false, fullName, problem };
}

function findProblem(fullName: string): FullNameProblem | undefined {
  if (fullName === '') return 'empty';
  if (LINE_BREAK.test(fullName)) return 'line-break';
  if (CONTROL.test(fullName)) return 'control';
  if (DIRECTION_CONTROL.test(fullName)) return 'direction';
  // Code points, not UTF-16 units: a name in a script outside the BMP gets the same room.
  if ([...fullName].length > MAX_FULL_NAME_LENGTH) return 'too-long';
  return undefined;
}

const PROBLEM_MESSAGES: Record<FullNameProblem, string> = {
  empty: 'Enter your full name.',
  'too-long': `Use at most ${MAX_FULL_NAME_LENGTH} characters for your name.`,
  'line-break': 'Put your name on one line, without line breaks.',
  control: 'Remove the control characters (such as tabs) from your name.',
  direction:
    'Remove the invisible text-direction characters (U+202A to U+202E, U+2066 to U+2069) from your name.',
};

/** The sentence the sign-up form shows, and the CLI and seed script print, for a refusal. */
export function describeFullNameProblem(problem: FullNameProblem): string {
  return PROBLEM_MESSAGES[problem];
}

/** A name refused by checkFullName reached a service; the message never repeats the name. */
export class InvalidFullNameError extends Error {
  constructor(readonly problem: FullNameProblem) {
    super(`the full name cannot be used: ${describeFullNameProblem(problem)}`);
    this.name = 'InvalidFullNameError';
  }
}
