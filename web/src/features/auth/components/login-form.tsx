import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { useLimits } from '../../../lib/api/get-limits.ts';
import { type UserIdRange, userIdRule } from '../../../lib/user-id.ts';
import { useLogIn } from '../api/get-me.ts';
import { UserIdForm } from './user-id-form.tsx';

export function LoginForm() {
  const logIn = useLogIn();
  const range = useLimits()?.userId;
  return (
    <UserIdForm
      title="Log in"
      description="Already registered? Enter your user id."
      inputLabel="Your user id"
      submitLabel="Log in"
      pendingLabel="Logging in…"
      pending={logIn.isPending}
      error={logIn.error ? describeLoginError(logIn.error, logIn.variables, range) : null}
      onSubmit={(userId) => logIn.mutate(userId)}
    />
  );
}

function describeLoginError(
  error: Error,
  userId: number | undefined,
  range: UserIdRange | undefined,
): string {
  if (error instanceof ApiError) {
    if (error.code === 'UNKNOWN_USER') {
      return `There is no user ${userId}. Check the number, or register it first.`;
    }
    if (error.code === 'INVALID_USER_ID' || error.code === 'INVALID_REQUEST')
      return userIdRule(range);
    if (error.code === 'USER_API_UNAVAILABLE') {
      return 'Logging in is not possible right now: the user service is down. Please try again in a little while.';
    }
  }
  return describeApiError(error);
}
