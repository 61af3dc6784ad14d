import { z } from 'zod';

/**
 * The building blocks of the configuration schema. Each feature lists the
 * variables it reads in its own `*.config.ts` with these; `loadConfig` in
 * config.ts puts the lists into one schema, so every problem is found in
 * one pass.
 */

/** One environment variable: what text it accepts and what it becomes, default included. */
export type Field<T> = z.ZodType<T>;

/** The variables one feature reads, by name. */
export type Fields = Record<string, z.ZodType>;

/** What a feature's variables are once parsed. */
export type FieldValues<F extends Fields> = z.output<z.ZodObject<F>>;

/**
 * What a rule across variables may know, read from the raw environment: the
 * rules run even when a field failed its own check, so one attempt to start
 * hears about every problem.
 */
export interface RuleInput {
  isProduction: boolean;
  /** Set to something other than blanks. */
  isSet(name: string): boolean;
}

/** A rule involving several variables, or a variable and NODE_ENV: the problems it finds. */
export type ConfigRule = (input: RuleInput) => string[];

/** What every feature may depend on beyond its own variables. */
export interface ConfigContext {
  nodeEnv: 'development' | 'production' | 'test';
  isProduction: boolean;
}

const blankToUndefined = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * A variable read by `schema`. A blank value counts as unset, as an empty
 * `KEY=` line in .env means; `schema` says what unset becomes (`.optional()`,
 * `.default()`).
 */
export function field<T>(schema: z.ZodType<T>): Field<T> {
  return z.preprocess(blankToUndefined, schema);
}

/** A trimmed text, or undefined when unset. */
export function text(): Field<string | undefined> {
  return field(z.string().trim().optional());
}

/** A trimmed text of the given shape (`message` says which), or undefined when unset. */
export function matching(pattern: RegExp, message: string): Field<string | undefined> {
  return field(z.string().trim().regex(pattern, message).optional());
}

/** A whole number from `min` to `max`; `fallback` when unset. */
export function integer(
  min: number,
  max: number,
  fallback: number | (() => number),
): Field<number> {
  return field(
    z
      .string()
      .trim()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max))
      .default(() => (typeof fallback === 'number' ? fallback : fallback())),
  );
}

const flagText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));

/** true/false, 1/0, yes/no or on/off, in any case; `fallback`, or undefined, when unset. */
export function flag(): Field<boolean | undefined>;
export function flag(fallback: boolean): Field<boolean>;
export function flag(fallback?: boolean): Field<boolean | undefined> {
  return field(fallback === undefined ? flagText.optional() : flagText.default(fallback));
}

type Choices = readonly [string, ...string[]];

/** One of `choices`, exactly as written; `fallback`, or undefined, when unset. */
export function oneOf<const C extends Choices>(choices: C): Field<C[number] | undefined>;
export function oneOf<const C extends Choices>(choices: C, fallback: C[number]): Field<C[number]>;
export function oneOf<const C extends Choices>(
  choices: C,
  fallback?: C[number],
): Field<C[number] | undefined> {
  const choice = z.enum(choices);
  return field(fallback === undefined ? choice.optional() : choice.default(fallback));
}

/**
 * The problem for one failed field, starting with the variable's name. A
 * message that already begins with it (`TRUST_PROXY=true would …`) is kept
 * as it is.
 */
export function describeProblem(issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0] ?? 'environment');
  if (issue.message.startsWith(`${name}=`)) return issue.message;
  return `${name} ${describeIssue(issue)}`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') {
    return `must be one of: ${issue.values.map(String).join(', ')}`;
  }
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  return issue.message;
}

/** `text` as an http(s) URL, for the settings that name a web address; undefined otherwise. */
export function parseHttpUrl(text: string): URL | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/** Reports a custom problem from inside a transform; the transform then returns this. */
export function refuse(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}
