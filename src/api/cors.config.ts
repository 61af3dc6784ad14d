import { z } from 'zod';
import { field, parseHttpUrl, type Field, type FieldValues } from '../config-fields';

export interface CorsSettings {
  /** Origins allowed to call /token and /users/me from a browser (no credentials). */
  corsOrigins: readonly string[];
}

/**
 * Comma-separated origins such as https://app.example.com (a trailing slash
 * tolerated), empty when unset. Each bad entry is a problem of its own.
 */
function originList(): Field<readonly string[]> {
  return field(
    z
      .string()
      .transform((text, ctx) => {
        const origins: string[] = [];
        for (const entry of text.split(',').map((part) => part.trim())) {
          if (entry === '') continue;
          const origin = parseOrigin(entry);
          if (origin === undefined) {
            ctx.addIssue({
              code: 'custom',
              message: `entry "${entry}" must be an origin like https://app.example.com`,
            });
          } else {
            origins.push(origin);
          }
        }
        return origins;
      })
      .default(() => []),
  );
}

function parseOrigin(entry: string): string | undefined {
  const origin = parseHttpUrl(entry)?.origin;
  return origin === entry.replace(/\/$/, '') ? origin : undefined;
}

export const corsVariables = { CORS_ORIGINS: originList() };

export function readCorsSettings(values: FieldValues<typeof corsVariables>): CorsSettings {
  return { corsOrigins: values.CORS_ORIGINS };
}
