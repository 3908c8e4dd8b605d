import { type FormEvent, useId, useState } from 'react';
import { Alert } from '../../../components/ui/alert.tsx';
import { useLimits } from '../../../lib/api/get-limits.ts';
import { parseUserId, userIdRule } from '../../../lib/user-id.ts';

interface UserIdFormProps {
  /** The form's accessible name and heading, e.g. "Log in". */
  title: string;
  description: string;
  inputLabel: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  /** What went wrong with the last attempt, in words; null when nothing did. */
  error: string | null;
  onSubmit: (userId: number) => void;
}

/** One numeric user id and a button: the shape of both logging in and registering. */
export function UserIdForm({
  title,
  description,
  inputLabel,
  submitLabel,
  pendingLabel,
  pending,
  error,
  onSubmit,
}: UserIdFormProps) {
  const range = useLimits()?.userId;
  const [value, setValue] = useState('');
  const [invalid, setInvalid] = useState(false);
  const headingId = useId();
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  const handleSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const userId = parseUserId(value, range);
    setInvalid(userId === null);
    if (userId !== null) onSubmit(userId);
  };

  const message = invalid ? userIdRule(range) : error;
  return (
    <form
      className="card user-id-form"
      aria-labelledby={headingId}
      onSubmit={handleSubmit}
      noValidate
    >
      <h2 id={headingId}>{title}</h2>
      <p id={hintId} className="hint">
        {description}
      </p>
      <label htmlFor={inputId}>{inputLabel}</label>
      <div className="inline-field">
        <input
          id={inputId}
          name="userId"
          type="text"
          inputMode="numeric"
          autoComplete="off"
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
            setInvalid(false);
          }}
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? `${hintId} ${errorId}` : hintId}
        />
        <button type="submit" disabled={pending}>
          {pending ? pendingLabel : submitLabel}
        </button>
      </div>
      {message && <Alert id={errorId}>{message}</Alert>}
    </form>
  );
}
