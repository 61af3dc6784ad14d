import { integer, type FieldValues } from '../config-fields';

export interface AuditSettings {
  /** auth_events rows older than this are purged. */
  auditRetentionDays: number;
}

export const auditVariables = { AUDIT_RETENTION_DAYS: integer(1, 3650, 90) };

export function readAuditSettings(values: FieldValues<typeof auditVariables>): AuditSettings {
  return { auditRetentionDays: values.AUDIT_RETENTION_DAYS };
}
