/**
 * The path as logged: no query string, and no reset token (a log reader must
 * not be able to use someone's reset link). Case-insensitive, as Express's
 * routing is: /PASSWORD/RESET/<token> reaches the same route.
 */
export function redactUrl(url: string): string {
  return (url.split('?')[0] ?? '').replace(/^(\/password\/reset\/)[^/]+/i, '$1[redacted]');
}
