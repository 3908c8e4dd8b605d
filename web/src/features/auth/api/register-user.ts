import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api/client.ts';
import { useSession } from '../../../lib/session.tsx';
import { getMe } from './get-me.ts';

/** `POST /users`: creates a user with the chosen id. */
export function registerUser(userId: number) {
  return unwrap(api.POST('/users', { body: { id: userId } }));
}

/** Registers `userId`, then logs in as it (after `GET /me` confirms, like any log-in). */
export function useRegisterUser() {
  const { logIn } = useSession();
  return useMutation({
    mutationFn: async (userId: number) => {
      await registerUser(userId);
      return getMe(userId);
    },
    onSuccess: (user) => logIn(user.id),
  });
}
