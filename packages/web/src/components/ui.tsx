/**
 * Small shared pieces: the page frame (title, heading that takes focus after navigation, so
 * screen-reader and keyboard users start at the new page), messages announced to assistive
 * technology, and a loader hook.
 */
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

export function Page({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Carebook`;
    heading.current?.focus();
  }, [title]);
  return (
    <>
      <div className="page-head">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </>
  );
}

/** A status (polite) or an alert (assertive) region; empty regions stay in the DOM so changes are announced. */
export function Notice({ kind = "info", children }: { kind?: "info" | "success" | "error"; children?: ReactNode }) {
  return (
    <div role={kind === "error" ? "alert" : "status"} className={children ? `notice notice-${kind}` : undefined}>
      {children}
    </div>
  );
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return "Something went wrong. Please try again.";
}

export function ErrorNotice({ error }: { error: unknown }) {
  return <Notice kind="error">{error ? errorText(error) : undefined}</Notice>;
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again; resolves with the new value (undefined if it failed or was superseded). */
  reload: () => Promise<T | undefined>;
}

/** Runs `load` now and whenever `deps` change; `reload` runs it again (keeping the data shown meanwhile). */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const latest = useRef(load);
  latest.current = load;
  const current = useRef<AbortController | undefined>(undefined);

  const run = useCallback(async (): Promise<T | undefined> => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    setLoading(true);
    try {
      const value = await latest.current(controller.signal);
      if (controller.signal.aborted) return undefined;
      setData(value);
      setError(undefined);
      return value;
    } catch (caught) {
      if (controller.signal.aborted) return undefined;
      setError(caught);
      return undefined;
    } finally {
      if (!controller.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void run();
    return () => current.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { data, error, loading, reload: run };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    pending: "Pending pre-screening",
    booked: "Booked",
    arrived: "Checked in",
    fulfilled: "Completed",
    noshow: "No-show",
    cancelled: "Cancelled",
  };
  return labels[status] ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{statusLabel(status)}</span>;
}
