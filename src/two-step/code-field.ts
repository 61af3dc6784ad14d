import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { MAX_CODE_LENGTH } from './two-step.service';

export const CODE_FIELD = 'code';

/** The code a person typed, or the error to show for the field. Over-long input is never checked. */
export function readCodeField(body: unknown): { code: string } | { errors: FieldErrors } {
  const field = readTextField(body, CODE_FIELD);
  if ('problem' in field) {
    return { errors: { [CODE_FIELD]: describeFieldProblem(field.problem, 'code') } };
  }
  const code = field.value.trim();
  if (code === '') return { errors: { [CODE_FIELD]: 'Enter the code.' } };
  if (code.length > MAX_CODE_LENGTH) {
    return {
      errors: {
        [CODE_FIELD]: 'That is too long for a code. Enter the 6 digits or a recovery code.',
      },
    };
  }
  return { code };
}
