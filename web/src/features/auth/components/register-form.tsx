import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { useLimits } from '../../../lib/api/get-limits.ts';
import { type UserIdRange, userIdRule } from '../../../lib/user-id.ts';
import { useRegisterUser } from '../api/register-user.ts';
import { UserIdForm } from './user-id-form.tsx';

export function RegisterForm() {
  const register = useRegisterUser();
  const range = useLimits()?.userId;
  return (
    <UserIdForm
      title="Register"
      description="New here? Pick a number as your user id."
      inputLabel="New user id"
      submitLabel="Register"
      pendingLabel="Registering…"
      pending={register.isPending}
      error={
        register.error ? describeRegisterError(register.error, register.variables, range) : null
      }
      onSubmit={(userId) => register.mutate(userId)}
    />
  );
}

function describeRegisterError(
  error: Error,
  userId: number | undefined,
  range: UserIdRange | undefined,
): string {
  if (error instanceof ApiError) {
    if (error.code === 'USER_EXISTS') {
      return `User id ${userId} is already taken. Choose another number, or log in if it is yours.`;
    }
    if (error.code === 'INVALID_REQUEST' || error.code === 'INVALID_USER_ID')
      return userIdRule(range);
    if (error.code === 'USER_API_UNAVAILABLE') {
      return 'Registering is not possible right now: the user service is down. Please try again in a little while.';
    }
  }
  return describeApiError(error);
}
