import express from 'express';

/**
 * The form parser for every form and for POST /token: posts are a handful of
 * short fields, so anything bigger (10 kB, 20 fields) is refused with a 413.
 */
export const parseFormBody = express.urlencoded({
  extended: false,
  limit: '10kb',
  parameterLimit: 20,
});
