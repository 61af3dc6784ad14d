const MAX_NEXT_LENGTH = 2048;
// Printable ASCII only: no controls (CR/LF header injection, tabs browsers
// strip), no spaces, no Unicode look-alikes of `/`.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Returns `value` when it is a path on this site, else null. Modelled on
 * Django's url_has_allowed_host_and_scheme: one leading slash, not `//` or `/\`
 * (both mean "another host" to browsers), no backslash anywhere, no scheme.
 */
export function toSafeLocalPath(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_NEXT_LENGTH) return null;
  if (!PRINTABLE_ASCII.test(value)) return null;
  if (!value.startsWith('/') || value.startsWith('//')) return null;
  if (value.includes('\\')) return null;
  const base = 'http://gatehouse.invalid';
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return null;
  }
  return parsed.origin === base ? value : null;
}

/** The redirect after login: a safe `next`, else the private page. */
export function nextOrPrivate(value: unknown): string {
  return toSafeLocalPath(value) ?? '/private';
}
