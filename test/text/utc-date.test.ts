import { formatLongUtc, formatShortUtc } from '../../src/text/utc-date';

// The hand-written formats must read exactly as en-GB's own medium and long
// UTC formats did, except that ICU abbreviates September as "Sept".
const intlShort = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
});
const intlLong = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: 'UTC',
});

/** Every month, single- and double-digit days and hours, the ends of a day and of a year. */
const moments = [
  ...Array.from({ length: 12 }, (_, month) => new Date(Date.UTC(2026, month, 5, 3, 7, 59))),
  ...Array.from({ length: 12 }, (_, month) => new Date(Date.UTC(2031, month, 28, 23, 59, 0))),
  new Date(Date.UTC(1999, 11, 31, 0, 0, 0)),
  new Date(Date.UTC(2000, 0, 1, 12, 30, 0)),
  new Date(Date.UTC(2026, 10, 23, 18, 58, 30, 999)),
];

describe('UTC dates for people', () => {
  it.each(moments)('writes %p as the pages have always shown it', (moment) => {
    expect(formatShortUtc(moment)).toBe(`${intlShort.format(moment).replace('Sept', 'Sep')} UTC`);
  });

  it.each(moments)('writes %p as the e-mails have always said it', (moment) => {
    expect(formatLongUtc(moment)).toBe(`${intlLong.format(moment)} UTC`);
  });

  it('gives exact examples', () => {
    const moment = new Date('2026-09-05T03:07:00Z');
    expect(formatShortUtc(moment)).toBe('5 Sep 2026, 03:07 UTC');
    expect(formatLongUtc(moment)).toBe('5 September 2026 at 03:07 UTC');
  });
});
