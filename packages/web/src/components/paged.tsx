/**
 * Cursor-paged lists (the API's `{ items, cursor? }`): the first page loads like any data
 * (useLoad); "Show more" appends the page after the last one with the cursor it answered. A new
 * first page (its deps changed, or reload) starts over, and a page that arrives for an old
 * first page is dropped.
 *
 * The button stays focusable while it loads (aria-disabled, not disabled, which would drop the
 * keyboard user's focus to the page), and when the last page has come and the button goes,
 * focus moves to the "That is all." that replaces it.
 */
import { useEffect, useRef, useState } from "react";
import { ErrorNotice, useLoad, type Loaded } from "./ui";

export interface PageOf<T> {
  items: T[];
  cursor?: string;
}

export interface Paged<P extends PageOf<unknown>> {
  first: Loaded<P>;
  /** Every page shown so far, the first one first. */
  pages: P[];
  items: P["items"];
  /** The next page's cursor; undefined after the last page. */
  cursor: string | undefined;
  busy: boolean;
  error: unknown;
  more: () => Promise<void>;
}

export function usePaged<P extends PageOf<unknown>>(load: (cursor: string | undefined, signal?: AbortSignal) => Promise<P>, deps: readonly unknown[]): Paged<P> {
  const first = useLoad((signal) => load(undefined, signal), deps);
  // The pages after the first, with the first page they follow.
  const [later, setLater] = useState<{ after: P; pages: P[] }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const pages = first.data ? [first.data, ...(later?.after === first.data ? later.pages : [])] : [];
  const cursor = pages.at(-1)?.cursor;

  async function more() {
    const after = first.data;
    if (!after || !cursor || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      const page = await load(cursor);
      setLater((current) => ({ after, pages: [...(current?.after === after ? current.pages : []), page] }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return { first, pages, items: pages.flatMap((p) => p.items) as P["items"], cursor, busy, error, more };
}

/** The "Show more" button of a paged list (or "That is all." once more pages ended). */
export function ShowMore({ paged, what, label = "Show more" }: { paged: Paged<PageOf<unknown>>; what: string; label?: string }) {
  const end = useRef<HTMLParagraphElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const [hadFocus, setHadFocus] = useState(false);
  const done = !paged.cursor && paged.pages.length > 1;

  useEffect(() => {
    if (done && hadFocus) end.current?.focus();
  }, [done, hadFocus]);

  return (
    <>
      <ErrorNotice error={paged.error} />
      {paged.cursor ? (
        <button
          ref={button}
          type="button"
          aria-disabled={paged.busy || undefined}
          onClick={() => {
            setHadFocus(document.activeElement === button.current);
            void paged.more();
          }}
        >
          {paged.busy ? "Loading…" : label}
          <span className="visually-hidden"> {what}</span>
        </button>
      ) : done ? (
        <p ref={end} tabIndex={-1} className="notice notice-info">
          That is all.
        </p>
      ) : null}
    </>
  );
}
