/**
 * The path as logged: no query string, and no reset token (a log reader must
 * not be able to use someone's reset link).
 */
export function redactUrl(url: string): string {
  return (url.split('?')[0] ?? '').replace(
    /^\/password\/reset\/[^/]+/,
    '/password/reset/[redacted]',
  );
}
