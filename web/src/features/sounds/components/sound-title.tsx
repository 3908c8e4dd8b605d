import { type FormEvent, type KeyboardEvent, type ReactNode, useId, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useToasts } from '../../../components/ui/toasts.tsx';
import type { Sound } from '../../../lib/api/client.ts';
import { ApiError, describeApiError } from '../../../lib/api/errors.ts';
import { useLimits } from '../../../lib/api/get-limits.ts';
import { useAuthenticatedUserId } from '../../../lib/session.tsx';
import { useUpdateSoundTitle } from '../api/update-sound-title.ts';

type HeadingLevel = 1 | 2 | 3;

interface SoundTitleProps {
  sound: Sound;
  level: HeadingLevel;
  /** The heading's id, for the element it names. */
  id: string;
  /** Link the title to the sound's page (in lists). */
  link?: boolean;
  /** Shown beside the title (a badge). */
  children?: ReactNode;
}

/** A sound's title as a heading; its uploader can edit it in place. */
export function SoundTitle({ sound, level, id, link = false, children }: SoundTitleProps) {
  const userId = useAuthenticatedUserId();
  const own = userId !== null && userId === sound.userId;
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const Heading = `h${level}` as const;

  const stopEditing = () => {
    setEditing(false);
    // Focus goes back where it was before the form took its place.
    requestAnimationFrame(() => editButton.current?.focus());
  };

  if (editing) {
    return (
      <div className="sound-title">
        {/* The page keeps its heading (and the card its name) while the title is edited. */}
        <Heading id={id} className="visually-hidden">
          {sound.title}
        </Heading>
        <TitleForm sound={sound} userId={userId} onDone={stopEditing} />
      </div>
    );
  }
  return (
    <div className="sound-title">
      <Heading id={id}>
        {link ? <Link to={`/sounds/${sound.id}`}>{sound.title}</Link> : sound.title}
      </Heading>
      {children}
      {own && (
        <button
          ref={editButton}
          type="button"
          className="secondary small"
          aria-label={`Edit title of ${sound.title}`}
          onClick={() => setEditing(true)}
        >
          Edit
        </button>
      )}
    </div>
  );
}

function TitleForm({
  sound,
  userId,
  onDone,
}: {
  sound: Sound;
  userId: number | null;
  onDone: () => void;
}) {
  const limits = useLimits();
  const toasts = useToasts();
  const rename = useUpdateSoundTitle(userId, {
    onError: (error, original) =>
      toasts.show({
        id: `rename-${original.id}`,
        tone: 'alert',
        message: describeRenameError(error, original),
      }),
  });
  const [title, setTitle] = useState(sound.title);
  const [problem, setProblem] = useState<string | null>(null);
  const inputId = useId();
  const errorId = useId();

  const save = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next = title.trim();
    if (!next) {
      setProblem('A title cannot be empty.');
      return;
    }
    if (next !== sound.title) rename.mutate({ sound, title: next });
    onDone();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLFormElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onDone();
    }
  };

  return (
    <form
      className="title-form"
      aria-label={`Edit title of ${sound.title}`}
      onSubmit={save}
      onKeyDown={onKeyDown}
      noValidate
    >
      <label htmlFor={inputId}>Title</label>
      <div className="inline-field">
        <input
          id={inputId}
          type="text"
          value={title}
          maxLength={limits?.title.maxLength}
          // biome-ignore lint/a11y/noAutofocus: the person just asked to edit this field
          autoFocus
          onChange={(event) => {
            setTitle(event.target.value);
            setProblem(null);
          }}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? errorId : undefined}
        />
        <button type="submit">Save</button>
        <button type="button" className="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
      {problem && (
        <p id={errorId} role="alert" className="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function describeRenameError(error: Error, sound: Sound): string {
  const what = `Could not rename “${sound.title}”, so it keeps its old title.`;
  if (error instanceof ApiError && error.code === 'NOT_OWNER') {
    return `${what} Only its uploader may rename it.`;
  }
  return `${what} ${describeApiError(error)}`;
}
