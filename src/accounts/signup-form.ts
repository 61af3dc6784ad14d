import { findPasswordProblem, type PasswordPolicy } from '../auth/password-policy';
import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { checkFullName, describeFullNameProblem, MAX_FULL_NAME_LENGTH } from '../users/full-name';
import { isPlausibleEmail, normalizeEmail } from '../users/user';

export type SignupForm =
  | { isValid: true; email: string; fullName: string; password: string }
  | { isValid: false; email: string; fullName: string; errors: FieldErrors };

/** Checks a new password and its confirmation; shared by sign-up and password change. */
export function checkNewPassword(
  body: unknown,
  context: { email: string },
  policy: PasswordPolicy,
  errors: FieldErrors,
): string {
  const password = readTextField(body, 'password');
  const confirmation = readTextField(body, 'password_confirmation');
  if ('problem' in password) {
    errors.password = describeFieldProblem(password.problem, 'new password');
    return '';
  }
  const problem = findPasswordProblem(password.value, context, policy);
  if (problem) errors.password = problem;
  else if ('problem' in confirmation || confirmation.value !== password.value)
    errors.password_confirmation = 'The two passwords do not match.';
  return password.value;
}

export function parseSignupForm(body: unknown, policy: PasswordPolicy): SignupForm {
  const errors: FieldErrors = {};
  const emailField = readTextField(body, 'email');
  const nameField = readTextField(body, 'full_name');
  let email = '';
  let fullName = '';
  if ('problem' in emailField) {
    errors.email = describeFieldProblem(emailField.problem, 'e-mail address');
  } else {
    email = normalizeEmail(emailField.value);
    if (!isPlausibleEmail(email)) errors.email = 'Enter an e-mail address like name@example.com.';
  }
  if ('problem' in nameField) {
    errors.full_name = describeFieldProblem(nameField.problem, 'full name');
  } else {
    const name = checkFullName(nameField.value);
    fullName = name.fullName;
    if (!name.isValid) errors.full_name = describeFullNameProblem(name.problem);
  }
  const password = checkNewPassword(body, { email }, policy, errors);
  const kept = { email: email.slice(0, 254), fullName: fullName.slice(0, MAX_FULL_NAME_LENGTH) };
  if (Object.keys(errors).length > 0) return { isValid: false, ...kept, errors };
  return { isValid: true, email, fullName, password };
}
