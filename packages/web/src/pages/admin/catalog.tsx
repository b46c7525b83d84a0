/**
 * What the catalog pages (clinics, doctors, visit types) share: which panel is open (add, edit,
 * deactivate or reactivate one entry) with focus returning to what opened it, the list table with
 * its row actions, the edit form's frame (409 CHANGED_MEANWHILE: "load the latest version"; the
 * API's 400 issues at their fields), the deactivate card (a 409 listing the bookings still held)
 * and the reactivate card (a 409 saying what stands in the way). Each page keeps its own columns,
 * fields, checks, requests and texts.
 */
import { useId, useRef, useState, type ReactNode } from "react";
import { ApiError } from "../../api/client";
import { ErrorNotice, Notice } from "../../components/ui";
import { useReturnFocus } from "./focus";
import { ActiveBadge, BookingList, FocusCard, FormError, bookingsOf, invalid, isConflict, type AdminClinic, type FieldIssue } from "./shared";

export type Mode =
  | { kind: "new" }
  | { kind: "edit"; id: string }
  | { kind: "deactivate"; id: string }
  | { kind: "reactivate"; id: string }
  | undefined;

interface Entry {
  id: string;
  name: string;
  active: boolean;
  updatedAt?: string | null;
}

/**
 * The open panel of a catalog page, and the entry it is about (`current`, looked up in `list`).
 * `saved` reloads the list, then closes the panel and shows the message.
 */
export function useManagedList<T extends Entry>(list: readonly T[], reload: () => Promise<unknown>) {
  const [mode, setMode] = useState<Mode>();
  const [done, setDone] = useState<string>();
  const focus = useReturnFocus();

  function open(next: Mode) {
    focus.remember();
    setDone(undefined);
    setMode(next);
  }
  function close(message?: string) {
    setMode(undefined);
    if (message) setDone(message);
    focus.restore();
  }
  const current = mode && mode.kind !== "new" ? list.find((e) => e.id === mode.id) : undefined;
  return {
    done,
    open,
    close,
    saved: (message: string) => void reload().then(() => close(message)),
    adding: mode?.kind === "new",
    /** The entry being edited, and the form's key: a reload with a newer version starts the form afresh. */
    editing: mode?.kind === "edit" ? current : undefined,
    editKey: current ? `${current.id}:${current.updatedAt ?? ""}` : "new",
    deactivating: mode?.kind === "deactivate" ? current : undefined,
    reactivating: mode?.kind === "reactivate" ? current : undefined,
  };
}

/** The list: the entry's name and id, the page's cells, its status, "Edit" and "Deactivate" (or "Reactivate"). */
export function CatalogTable<T extends Entry>(props: {
  items: readonly T[];
  caption: string;
  className?: string;
  /** The first column's heading ("Clinic"), then the page's columns. */
  headers: readonly string[];
  /** The row's `data-…` attribute, for tests and styles: `data-clinic="london-central"`. */
  rowData: string;
  cells: (item: T) => ReactNode;
  onOpen: (mode: Mode) => void;
}) {
  return (
    <div className="table-wrap">
      <table className={props.className ?? "data"}>
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {props.headers.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
            <th scope="col">Status</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((e) => (
            <tr key={e.id} {...{ [`data-${props.rowData}`]: e.id }} className={e.active ? undefined : "inactive"}>
              <th scope="row">
                {e.name}
                <div className="muted small">
                  <code>{e.id}</code>
                </div>
              </th>
              {props.cells(e)}
              <td>
                <ActiveBadge active={e.active} />
              </td>
              <td className="actions">
                <div className="row-actions">
                  <button type="button" aria-label={`Edit ${e.name}`} onClick={() => props.onOpen({ kind: "edit", id: e.id })}>
                    Edit
                  </button>
                  {e.active ? (
                    <button type="button" aria-label={`Deactivate ${e.name}`} onClick={() => props.onOpen({ kind: "deactivate", id: e.id })}>
                      Deactivate
                    </button>
                  ) : (
                    <button type="button" aria-label={`Reactivate ${e.name}`} onClick={() => props.onOpen({ kind: "reactivate", id: e.id })}>
                      Reactivate
                    </button>
                  )}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A request the form sends: busy while it runs, the error it failed with (or the issues the form
 * found itself, shown as the API's 400 would be), and the idempotency key of this attempt — a new
 * one after a failure.
 */
export function useRequest() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [attemptKey, setAttemptKey] = useState(() => crypto.randomUUID());

  async function send(issues: readonly FieldIssue[], request: (attemptKey: string) => Promise<void>) {
    if (issues.length > 0) return setError(invalid([...issues]));
    setBusy(true);
    setError(undefined);
    try {
      await request(attemptKey);
    } catch (caught) {
      setError(caught);
      setAttemptKey(crypto.randomUUID());
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, send };
}

/**
 * The add / edit form's frame: the card, the form, the error notice (`fields`: the paths shown at
 * their fields), "Load the latest version" after a 409 CHANGED_MEANWHILE, and the buttons.
 */
export function EditForm(props: {
  ids: string;
  title: string;
  fields: readonly string[];
  error: unknown;
  busy: boolean;
  /** The submit button's label ("Add clinic"); editing, it says "Save changes". */
  addLabel?: string;
  onSubmit: () => void;
  onCancel: () => void;
  onReload?: () => void;
  children: ReactNode;
}) {
  const form = useRef<HTMLFormElement>(null);
  return (
    <FocusCard id={`${props.ids}-title`} title={props.title}>
      <form
        ref={form}
        className="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        {props.children}
        <FormError error={props.error} fields={props.fields} formRef={form} />
        {isConflict(props.error, "CHANGED_MEANWHILE") && props.onReload ? (
          <p>
            <button type="button" onClick={props.onReload}>
              Load the latest version (your changes are discarded)
            </button>
          </p>
        ) : null}
        <div className="row">
          <button type="submit" className="primary" disabled={props.busy}>
            {props.busy ? "Saving…" : (props.addLabel ?? "Save changes")}
          </button>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </FocusCard>
  );
}

/**
 * "Deactivate X?": what it means (`children`), the error — or, after a 409 of the code `blocked`
 * names (which lists the bookings still held), the warning with them and the button that goes
 * ahead anyway (`force`).
 */
export function DeactivateCard(props: {
  ids: string;
  name: string;
  error: unknown;
  busy: boolean;
  blocked?: { code: string; message: (count: number) => ReactNode; force: ReactNode; clinicOf: (id: string) => AdminClinic | undefined };
  keepLabel: string;
  onDeactivate: (force: boolean) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const blocked =
    props.blocked && isConflict(props.error, props.blocked.code) ? { ...props.blocked, bookings: bookingsOf(props.error.details) } : undefined;
  return (
    <FocusCard id={`${props.ids}-title`} title={`Deactivate ${props.name}?`}>
      {props.children}
      {blocked ? (
        <div className="notice notice-warning" role="alert">
          <p>{blocked.message(blocked.bookings.count)}</p>
          <BookingList bookings={blocked.bookings} clinic={blocked.clinicOf} />
        </div>
      ) : (
        <ErrorNotice error={props.error} />
      )}
      <div className="row">
        {blocked ? (
          <button type="button" className="danger" disabled={props.busy} onClick={() => props.onDeactivate(true)}>
            {blocked.force}
          </button>
        ) : (
          <button type="button" className="danger" disabled={props.busy} onClick={() => props.onDeactivate(false)}>
            {props.busy ? "Deactivating…" : "Deactivate"}
          </button>
        )}
        <button type="button" onClick={props.onCancel}>
          {props.keepLabel}
        </button>
      </div>
    </FocusCard>
  );
}

/**
 * "Reactivate X?": what it means (`children`), then the request (`request` answers the message
 * shown once done). A refusal shows its message, and `details` may add what the page knows of it
 * (a 409's details: the clinics all inactive, the settings to correct).
 */
export function ReactivateCard(props: {
  name: string;
  request: () => Promise<string>;
  details?: (error: ApiError) => ReactNode;
  onDone: (message: string) => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const ids = useId();
  const { busy, error, send } = useRequest();
  const reactivate = () => send([], async () => props.onDone(await props.request()));
  return (
    <FocusCard id={`${ids}-title`} title={`Reactivate ${props.name}?`}>
      {props.children}
      {error instanceof ApiError && props.details ? (
        <Notice kind="error">
          {error.message}
          {props.details(error)}
        </Notice>
      ) : (
        <ErrorNotice error={error} />
      )}
      <div className="row">
        <button type="button" className="primary" disabled={busy} onClick={() => void reactivate()}>
          {busy ? "Reactivating…" : "Reactivate"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Keep it inactive
        </button>
      </div>
    </FocusCard>
  );
}
