import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from '../../../lib/api/client.ts';
import { getMe } from '../../../lib/api/get-me.ts';
import { meKeys } from '../../../lib/query-keys.ts';
import { useSession } from '../../../lib/session.tsx';

/** `POST /users`: creates a user with the chosen id. */
export function registerUser(userId: number) {
  return unwrap(api.POST('/users', { body: { id: userId } }));
}

/** Registers `userId`, then logs in as it (after `GET /me` confirms, like any log-in). */
export function useRegisterUser() {
  const { logIn } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (userId: number) => {
      await registerUser(userId);
      return getMe(userId);
    },
    onSuccess: (user) => {
      queryClient.setQueryData(meKeys.user(user.id), user);
      logIn(user.id);
    },
  });
}
