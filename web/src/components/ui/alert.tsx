import type { ReactNode } from 'react';

/** An error a person must notice: announced at once by screen readers. */
export function Alert({ id, children }: { id?: string; children: ReactNode }) {
  return (
    <p id={id} role="alert" className="alert">
      {children}
    </p>
  );
}
