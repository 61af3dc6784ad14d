import { summarizeUserAgent } from '../../src/sessions/user-agent';

const USER_AGENTS = {
  chromeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36',
  curl: 'curl/8.5.0',
};

describe('summarizing a user agent for the sessions list', () => {
  it('names Chrome on Windows', () => {
    expect(summarizeUserAgent(USER_AGENTS.chromeWindows)).toBe('Chrome on Windows');
  });

  it('names Firefox on Linux', () => {
    expect(summarizeUserAgent(USER_AGENTS.firefoxLinux)).toBe('Firefox on Linux');
  });

  it('names Safari on macOS, not Chrome (Safari says no "Chrome")', () => {
    expect(summarizeUserAgent(USER_AGENTS.safariMac)).toBe('Safari on macOS');
  });

  it('names Safari on an iPhone as iOS, although it says "like Mac OS X"', () => {
    expect(summarizeUserAgent(USER_AGENTS.safariIphone)).toBe('Safari on iOS');
  });

  it('names Edge, although it also says Chrome and Safari', () => {
    expect(summarizeUserAgent(USER_AGENTS.edgeWindows)).toBe('Edge on Windows');
  });

  it('names Chrome on Android, although Android also says Linux', () => {
    expect(summarizeUserAgent(USER_AGENTS.chromeAndroid)).toBe('Chrome on Android');
  });

  it('names curl without a system', () => {
    expect(summarizeUserAgent(USER_AGENTS.curl)).toBe('curl');
  });

  it('says "Unknown browser" when there is no user agent', () => {
    expect(summarizeUserAgent(null)).toBe('Unknown browser');
    expect(summarizeUserAgent('')).toBe('Unknown browser');
  });

  it('says "Unknown browser" for garbage', () => {
    expect(summarizeUserAgent('}{ not a browser at all <script>')).toBe('Unknown browser');
    expect(summarizeUserAgent('x'.repeat(300))).toBe('Unknown browser');
  });

  it('names only the system when the browser is unknown', () => {
    expect(summarizeUserAgent('SomeBot/1.0 (X11; Linux x86_64)')).toBe('A browser on Linux');
  });
});
