import { useSession } from '../../../lib/session.tsx';
import { LoginForm } from './login-form.tsx';
import { RegisterForm } from './register-form.tsx';

/** Log in or register; shown while nobody is logged in. */
export function AccountPanel() {
  const { session } = useSession();
  if (session.status !== 'anonymous') return null;
  return (
    <section className="account-panel" aria-label="Account">
      {session.notice && (
        <p className="notice" role="status">
          {session.notice}
        </p>
      )}
      <div className="account-forms">
        <LoginForm />
        <RegisterForm />
      </div>
    </section>
  );
}
