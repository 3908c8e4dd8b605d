import { useMutation, useQueryClient } from '@tanstack/react-query';
import { getMe } from '../../../lib/api/get-me.ts';
import { meKeys } from '../../../lib/query-keys.ts';
import { useSession } from '../../../lib/session.tsx';

/** Logs in as `userId` once `GET /me` has confirmed it. */
export function useLogIn() {
  const { logIn } = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: number) => getMe(userId),
    onSuccess: (user) => {
      // What it said of the user's quota is fresh: the upload panel starts from it.
      queryClient.setQueryData(meKeys.user(user.id), user);
      logIn(user.id);
    },
  });
}
