/** A staff member's own leave: request (whole days, or exact times) and where each request stands
 * (a page at a time, by start, with "Show more"). */
import { useId, useState } from "react";
import { ShowMore, usePaged } from "../../components/paged";
import { ErrorNotice, Loading, Notice, Page } from "../../components/ui";
import { useSession } from "../../session";

export function LeavePage() {
  const { call } = useSession();
  const ids = useId();
  const paged = usePaged((cursor, signal) => call("GET /api/staff/leave", { query: { cursor }, signal }), [call]);
  const list = paged.first;
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState<string>();

  async function submit() {
    setBusy(true);
    setError(undefined);
    setSaved(undefined);
    try {
      await call("POST /api/staff/leave", { body: { from, to, reason: reason.trim() }, idempotencyKey: crypto.randomUUID() });
      setSaved(`Leave from ${from} to ${to} requested; an administrator will decide.`);
      setFrom("");
      setTo("");
      setReason("");
      await list.reload();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const items = paged.items;
  return (
    <Page title="My leave">
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2>Request leave</h2>
        <div className="row">
          <div className="field">
            <label htmlFor={`${ids}-from`}>First day</label>
            <input id={`${ids}-from`} type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${ids}-to`}>Last day</label>
            <input id={`${ids}-to`} type="date" required min={from || undefined} value={to} onChange={(e) => setTo(e.target.value)} />
          </div>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-reason`}>Reason</label>
          <input id={`${ids}-reason`} required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Request leave
        </button>
        <Notice kind="success">{saved}</Notice>
        <ErrorNotice error={error} />
      </form>
      <h2>My requests</h2>
      <ErrorNotice error={list.error} />
      {!list.data && list.loading ? <Loading what="your leave" /> : null}
      {list.data && items.length === 0 ? <p>No current or future leave.</p> : null}
      {items.length ? (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Reason</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {items.map((l) => (
              <tr key={l.id}>
                <td>{l.from}</td>
                <td>{l.to}</td>
                <td>{l.reason}</td>
                <td>{l.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ShowMore paged={paged} what="of my leave" />
    </Page>
  );
}
