/**
 * Dates as people read them, always in UTC: "5 Jan 2026, 03:07 UTC" on pages
 * and "5 January 2026 at 03:07 UTC" in e-mails. Written out by hand rather
 * than with Intl.DateTimeFormat: creating one loads ICU's locale data, ~9 MiB
 * of resident memory for two fixed English formats, and formatting with it
 * cost more than the rest of the private page's template.
 */
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

function parts(date: Date) {
  return {
    day: date.getUTCDate(),
    month: MONTHS[date.getUTCMonth()] ?? '',
    year: date.getUTCFullYear(),
    time: `${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())}`,
  };
}

/** "5 Jan 2026, 03:07 UTC": the short form the pages show. */
export function formatShortUtc(date: Date): string {
  const { day, month, year, time } = parts(date);
  return `${day} ${month.slice(0, 3)} ${year}, ${time} UTC`;
}

/** "5 January 2026 at 03:07 UTC": the long form e-mails use. */
export function formatLongUtc(date: Date): string {
  const { day, month, year, time } = parts(date);
  return `${day} ${month} ${year} at ${time} UTC`;
}
