/** Field-by-field validation messages, keyed by the form field's name. */
export type FieldErrors = Record<string, string>;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

/**
 * Reads one text field from a urlencoded body. A repeated field arrives as an
 * array and is refused rather than guessed at; so are control characters.
 */
export function readTextField(
  body: unknown,
  name: string,
): { value: string } | { problem: 'missing' | 'repeated' | 'control' } {
  const raw: unknown =
    typeof body === 'object' && body !== null && Object.hasOwn(body, name)
      ? (body as Record<string, unknown>)[name]
      : undefined;
  if (raw === undefined) return { problem: 'missing' };
  if (typeof raw !== 'string') return { problem: 'repeated' };
  if (CONTROL_CHARACTERS.test(raw)) return { problem: 'control' };
  return { value: raw };
}

/** The list the error summary at the top of a form links from. */
export function toErrorSummary(errors: FieldErrors): { field: string; message: string }[] {
  return Object.entries(errors).map(([field, message]) => ({ field, message }));
}

/** The message for a field that could not be read at all. */
export function describeFieldProblem(
  problem: 'missing' | 'repeated' | 'control',
  label: string,
): string {
  if (problem === 'missing') return `Enter your ${label}.`;
  if (problem === 'repeated') return `Enter one ${label}, not several.`;
  return `Your ${label} contains characters that cannot be used.`;
}
