/**
 * Real-time updates (docs/realtime.md): one WebSocket per signed-in tab, authenticated with the
 * session's token. The server pushes the caller's appointments' status changes, and — for each
 * clinic-day the page subscribes to — "slots" messages when a slot there was taken or freed.
 * Reconnects with backoff (API Gateway also ends every connection after 2 hours) and subscribes
 * again; a ping every 5 minutes keeps an idle connection open. Pages re-read what a message
 * concerns (some pushes carry no status: a reschedule, a re-assignment).
 */
import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { config } from "./config";
import { useSession } from "./session";

export type Push =
  | { type: "appointment"; event: string; appointmentId: string; status?: string; clinicId?: string; start?: string; at?: string }
  | { type: "slots"; event: string; clinicId: string; date: string; start?: string; end?: string };

type Listener = (push: Push) => void;

class Channel {
  private socket: WebSocket | undefined;
  private readonly listeners = new Set<Listener>();
  /** "clinicId|date" → number of pages interested. */
  private readonly days = new Map<string, number>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private closed = false;
  onState: (connected: boolean) => void = () => {};

  constructor(private readonly token: () => Promise<string | undefined>) {
    void this.open();
  }

  private async open() {
    const token = await this.token();
    if (this.closed || !token) return;
    const socket = new WebSocket(`${config.webSocketUrl}?token=${encodeURIComponent(token)}`);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.onState(true);
      for (const key of this.days.keys()) this.send("subscribe", key);
      // API Gateway closes a connection idle for 10 minutes; browsers cannot send ping frames.
      clearInterval(this.keepAlive);
      this.keepAlive = setInterval(() => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ action: "ping" }));
      }, 5 * 60_000);
    };
    socket.onmessage = (message) => {
      let push: Push;
      try {
        push = JSON.parse(String(message.data)) as Push;
      } catch {
        return;
      }
      if (push.type === "appointment" || push.type === "slots") for (const listener of this.listeners) listener(push);
    };
    socket.onclose = () => {
      clearInterval(this.keepAlive);
      this.onState(false);
      if (this.closed) return;
      // Backoff up to 30 s; the token is read again (it may have been refreshed).
      const delay = Math.min(30_000, 500 * 2 ** this.attempt++);
      this.timer = setTimeout(() => void this.open(), delay);
    };
  }

  private send(action: "subscribe" | "unsubscribe", key: string) {
    const [clinicId, date] = key.split("|");
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ action, topic: "slots", clinicId, date }));
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  watchDay(clinicId: string, date: string): () => void {
    const key = `${clinicId}|${date}`;
    const count = this.days.get(key) ?? 0;
    this.days.set(key, count + 1);
    if (count === 0) this.send("subscribe", key);
    return () => {
      const left = (this.days.get(key) ?? 1) - 1;
      if (left > 0) return void this.days.set(key, left);
      this.days.delete(key);
      this.send("unsubscribe", key);
    };
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.keepAlive);
    this.socket?.close();
  }
}

const RealtimeContext = createContext<{ channel: Channel | undefined; connected: boolean }>({ channel: undefined, connected: false });

export function RealtimeProvider({ children }: { children: ReactNode }) {
  const { me, token } = useSession();
  const [channel, setChannel] = useState<Channel>();
  const [connected, setConnected] = useState(false);
  const signedIn = me !== undefined;
  useEffect(() => {
    if (!signedIn || typeof WebSocket === "undefined") return;
    const next = new Channel(token);
    next.onState = setConnected;
    setChannel(next);
    return () => {
      next.close();
      setChannel(undefined);
      setConnected(false);
    };
  }, [signedIn, token]);
  const value = useMemo(() => ({ channel, connected }), [channel, connected]);
  return <RealtimeContext.Provider value={value}>{children}</RealtimeContext.Provider>;
}

/** Calls `onPush` for every push (the latest callback: no need to memoise it). */
export function usePushes(onPush: Listener) {
  const { channel } = useContext(RealtimeContext);
  const latest = useRef(onPush);
  latest.current = onPush;
  useEffect(() => channel?.listen((push) => latest.current(push)), [channel]);
}

/** Keeps these clinic-days subscribed while the component is shown. */
export function useWatchedDays(clinicId: string | undefined, dates: readonly string[]) {
  const { channel } = useContext(RealtimeContext);
  const key = dates.join(",");
  useEffect(() => {
    if (!channel || !clinicId) return;
    const stops = key.split(",").filter(Boolean).map((date) => channel.watchDay(clinicId, date));
    return () => stops.forEach((stop) => stop());
  }, [channel, clinicId, key]);
}

export function useRealtimeConnected(): boolean {
  return useContext(RealtimeContext).connected;
}
