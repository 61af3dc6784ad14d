import { describeFieldProblem, readTextField, type FieldErrors } from '../http/form-fields';
import { isPlausibleEmail, MAX_EMAIL_LENGTH } from '../users/user';

export const MAX_PASSWORD_LENGTH = 256;

export type LoginForm =
  | { isValid: true; email: string; password: string }
  | { isValid: false; email: string; errors: FieldErrors };

/** Validates the login form's shape; whether the credentials are right is the service's job. */
export function parseLoginForm(body: unknown): LoginForm {
  const errors: FieldErrors = {};
  const email = readTextField(body, 'email');
  const password = readTextField(body, 'password');
  let emailValue = '';
  if ('problem' in email) {
    errors.email = describeFieldProblem(email.problem, 'e-mail address');
  } else {
    emailValue = email.value.trim();
    if (emailValue === '') errors.email = 'Enter your e-mail address.';
    else if (emailValue.length > MAX_EMAIL_LENGTH)
      errors.email = `An e-mail address has at most ${MAX_EMAIL_LENGTH} characters.`;
    else if (!isPlausibleEmail(emailValue))
      errors.email = 'Enter an e-mail address like name@example.com.';
  }
  if ('problem' in password) {
    errors.password = describeFieldProblem(password.problem, 'password');
  } else if (password.value === '') {
    errors.password = 'Enter your password.';
  } else if (password.value.length > MAX_PASSWORD_LENGTH) {
    errors.password = `Passwords here have at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  // Never echo an over-long value back into the page.
  const keptEmail = emailValue.slice(0, MAX_EMAIL_LENGTH);
  if (Object.keys(errors).length > 0 || 'problem' in password) {
    return { isValid: false, email: keptEmail, errors };
  }
  return { isValid: true, email: emailValue, password: password.value };
}
