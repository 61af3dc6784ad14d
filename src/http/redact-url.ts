/**
 * The path as logged: no query string, and no reset or confirmation token (a
 * log reader must not be able to use someone's link). Case-insensitive, as
 * Express's routing is: /PASSWORD/RESET/<token> reaches the same route.
 */
export function redactUrl(url: string): string {
  return (url.split('?')[0] ?? '').replace(
    /^(\/password\/reset\/|\/confirm\/)(?!resend\/?$)[^/]+/i,
    '$1[redacted]',
  );
}
