import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useMemo,
  useRef,
  useState,
} from 'react';

export interface Toast {
  /** A toast shown again under the same id replaces the earlier one. */
  id: string;
  message: string;
  /** `alert` for failures a person must notice; otherwise announced politely. */
  tone?: 'status' | 'alert';
  action?: { label: string; accessibleLabel?: string; onClick: () => void };
  /** Milliseconds before it goes by itself; alerts stay until dismissed. */
  duration?: number;
}

interface ToastsValue {
  show: (toast: Toast) => void;
  dismiss: (id: string) => void;
}

const ToastsContext = createContext<ToastsValue | null>(null);

/**
 * Short messages at the bottom of the screen that outlive page changes ("Deleted · Undo").
 * The live regions are always in the page, so screen readers announce what appears in them.
 */
export function ToastsProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const dismiss = useCallback((id: string) => {
    clearTimeout(timers.current.get(id));
    timers.current.delete(id);
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);

  const show = useCallback(
    (toast: Toast) => {
      clearTimeout(timers.current.get(toast.id));
      setToasts((current) => [...current.filter((each) => each.id !== toast.id), toast]);
      const duration = toast.duration ?? (toast.tone === 'alert' ? undefined : 6000);
      if (duration !== undefined) {
        timers.current.set(
          toast.id,
          setTimeout(() => dismiss(toast.id), duration),
        );
      }
    },
    [dismiss],
  );

  const value = useMemo(() => ({ show, dismiss }), [show, dismiss]);
  const render = (tone: 'status' | 'alert') =>
    toasts
      .filter((toast) => (toast.tone ?? 'status') === tone)
      .map((toast) => (
        <div
          key={toast.id}
          className={`toast toast-${tone}`}
          role={tone === 'alert' ? 'alert' : undefined}
        >
          <p>{toast.message}</p>
          {toast.action && (
            <button
              type="button"
              className="secondary"
              aria-label={toast.action.accessibleLabel}
              onClick={() => {
                dismiss(toast.id);
                toast.action?.onClick();
              }}
            >
              {toast.action.label}
            </button>
          )}
          {tone === 'alert' && (
            <button type="button" className="secondary" onClick={() => dismiss(toast.id)}>
              Dismiss
            </button>
          )}
        </div>
      ));

  return (
    <ToastsContext value={value}>
      {children}
      <div className="toasts">
        {render('alert')}
        <div role="status" aria-live="polite" className="toast-region" aria-label="Notifications">
          {render('status')}
        </div>
      </div>
    </ToastsContext>
  );
}

export function useToasts(): ToastsValue {
  const value = useContext(ToastsContext);
  if (!value) throw new Error('useToasts must be used inside <ToastsProvider>');
  return value;
}
