/** Notification preferences: channels (in order of preference), language, quiet hours, phone. */
import { useEffect, useId, useState } from "react";
import type { BodyOf } from "../../../../../functions/contract";
import { ApiError } from "../../api/client";
import { ErrorNotice, Loading, Notice, Page, useLoad } from "../../components/ui";
import { useSession } from "../../session";

type Preferences = BodyOf<"PUT /api/me/notification-preferences">;
const channelLabels = { email: "E-mail", sms: "Text message (SMS)", push: "Push notification" } as const;
type Channel = keyof typeof channelLabels;

class PushUnavailable extends ApiError {
  constructor(message: string) {
    super(400, "PUSH_UNAVAILABLE", message);
  }
}

async function subscribeThisBrowser({ publicKey }: { publicKey: string | null }): Promise<NonNullable<NonNullable<Preferences["contacts"]>["webPush"]>> {
  if (!publicKey) throw new PushUnavailable("Push notifications are not set up for this Carebook.");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    throw new PushUnavailable("This browser cannot receive push notifications. On iPhone and iPad, add Carebook to the home screen first.");
  }
  if ((await Notification.requestPermission()) !== "granted") {
    throw new PushUnavailable("Notifications are blocked for Carebook in this browser's settings.");
  }
  const registration = await navigator.serviceWorker.ready;
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: publicKey });
  } catch {
    throw new PushUnavailable("This browser's push service could not be reached. Try again later.");
  }
  const json = subscription.toJSON();
  return { endpoint: json.endpoint!, expirationTime: json.expirationTime ?? null, keys: { p256dh: json.keys!.p256dh!, auth: json.keys!.auth! } };
}

export function Preferences() {
  const { call } = useSession();
  const ids = useId();
  const loaded = useLoad((signal) => call("GET /api/me/notification-preferences", { signal }), [call]);
  const [draft, setDraft] = useState<Preferences>();
  const [saved, setSaved] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (loaded.data) setDraft(loaded.data.preferences);
  }, [loaded.data]);

  if (!draft) return <Page title="Notifications">{loaded.error ? <ErrorNotice error={loaded.error} /> : <Loading what="your preferences" />}</Page>;

  const toggle = (channel: Channel, on: boolean) =>
    setDraft({ ...draft, channels: on ? [...draft.channels, channel] : draft.channels.filter((c) => c !== channel) });

  async function save(next: Preferences = draft!, message = "Saved.") {
    setBusy(true);
    setSaved(undefined);
    setError(undefined);
    try {
      const answer = await call("PUT /api/me/notification-preferences", { body: next });
      setDraft(answer.preferences);
      setSaved(message);
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  /** Subscribes this browser (the service worker shows what arrives) and saves it as the push address. */
  async function enablePush() {
    setError(undefined);
    setSaved(undefined);
    try {
      const subscription = await subscribeThisBrowser(await call("GET /api/me/push-key", {}));
      const channels = draft!.channels.includes("push") ? draft!.channels : [...draft!.channels, "push" as const];
      await save({ ...draft!, channels, contacts: { ...draft!.contacts, webPush: subscription } }, "Push notifications are on for this browser.");
    } catch (caught) {
      setError(caught);
    }
  }

  async function disablePush() {
    const registration = "serviceWorker" in navigator ? await navigator.serviceWorker.getRegistration() : undefined;
    await (await registration?.pushManager.getSubscription())?.unsubscribe();
    const { webPush: _removed, ...contacts } = draft!.contacts ?? {};
    await save({ ...draft!, channels: draft!.channels.filter((c) => c !== "push"), contacts }, "Push notifications are off.");
  }

  return (
    <Page title="Notifications">
      <form
        className="stack narrow"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset>
          <legend>How should we reach you?</legend>
          {(Object.keys(channelLabels) as Channel[]).map((channel) => (
            <label key={channel} className="check">
              <input type="checkbox" checked={draft.channels.includes(channel)} onChange={(e) => toggle(channel, e.target.checked)} />{" "}
              {channelLabels[channel]}
            </label>
          ))}
        </fieldset>
        <div className="card">
          <h2>Push notifications</h2>
          {draft.contacts?.webPush ? (
            <>
              <p>On for a browser{draft.channels.includes("push") ? "" : " (but push is not among your channels above)"}.</p>
              <button type="button" disabled={busy} onClick={() => void disablePush()}>
                Turn off push notifications
              </button>
            </>
          ) : (
            <>
              <p className="muted">Get reminders and changes on this device, even with Carebook closed.</p>
              <button type="button" disabled={busy} onClick={() => void enablePush()}>
                Turn on push notifications on this device
              </button>
            </>
          )}
        </div>
        <div className="field">
          <label htmlFor={`${ids}-phone`}>Mobile number for text messages</label>
          <input
            id={`${ids}-phone`}
            type="tel"
            autoComplete="tel"
            placeholder="+447700900123"
            aria-describedby={`${ids}-phone-hint`}
            value={draft.contacts?.phone ?? ""}
            onChange={(e) => setDraft({ ...draft, contacts: { ...draft.contacts, phone: e.target.value.trim() || undefined } })}
          />
          <p className="hint" id={`${ids}-phone-hint`}>
            International format, starting with +.
          </p>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-language`}>Language of messages</label>
          <select id={`${ids}-language`} value={draft.language} onChange={(e) => setDraft({ ...draft, language: e.target.value as Preferences["language"] })}>
            <option value="en">English</option>
            <option value="de">Deutsch</option>
          </select>
        </div>
        <fieldset>
          <legend>Quiet hours (no text or push messages)</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={draft.quietHours !== null}
              onChange={(e) => setDraft({ ...draft, quietHours: e.target.checked ? { start: "21:00", end: "08:00" } : null })}
            />{" "}
            Keep quiet hours
          </label>
          {draft.quietHours ? (
            <div className="row">
              <div className="field">
                <label htmlFor={`${ids}-from`}>From</label>
                <input
                  id={`${ids}-from`}
                  type="time"
                  value={draft.quietHours.start}
                  onChange={(e) => setDraft({ ...draft, quietHours: { ...draft.quietHours!, start: e.target.value } })}
                />
              </div>
              <div className="field">
                <label htmlFor={`${ids}-to`}>Until</label>
                <input
                  id={`${ids}-to`}
                  type="time"
                  value={draft.quietHours.end}
                  onChange={(e) => setDraft({ ...draft, quietHours: { ...draft.quietHours!, end: e.target.value } })}
                />
              </div>
            </div>
          ) : null}
          <p className="hint">In your time zone, {draft.timeZone}.</p>
        </fieldset>
        <button type="submit" className="primary" disabled={busy}>
          Save preferences
        </button>
        <Notice kind="success">{saved}</Notice>
        <ErrorNotice error={error} />
      </form>
    </Page>
  );
}
