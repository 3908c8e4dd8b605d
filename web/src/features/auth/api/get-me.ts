import { useMutation } from '@tanstack/react-query';
import { api, unwrap, userHeaders } from '../../../lib/api/client.ts';
import { useSession } from '../../../lib/session.tsx';

/** `GET /me`: succeeds only when `userId` is a registered user — the way to "log in". */
export function getMe(userId: number, signal?: AbortSignal) {
  return unwrap(api.GET('/me', { headers: userHeaders(userId), signal }));
}

/** Logs in as `userId` once `GET /me` has confirmed it. */
export function useLogIn() {
  const { logIn } = useSession();
  return useMutation({
    mutationFn: (userId: number) => getMe(userId),
    onSuccess: (user) => logIn(user.id),
  });
}
