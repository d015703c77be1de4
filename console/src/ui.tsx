// Small building blocks every page uses: loading state, error display with the server's field violations,
// form fields that show the violation naming them, formatting of protobuf times and durations, and a hash router.
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { problem, type Problem } from "./api";

export function useHashRoute(): string[] {
  const read = () => window.location.hash.replace(/^#\/?/, "").split("?")[0].split("/").filter(Boolean);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const on = () => setParts(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return parts;
}

export function navigate(path: string) {
  window.location.hash = "#/" + path.replace(/^\//, "");
}

export interface Loaded<T> {
  data?: T;
  error?: Problem;
  loading: boolean;
  reload: () => void;
}

/** Runs {@code load} when {@code deps} change (and on reload()); keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Problem; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (e) => live && setState((s) => ({ data: s.data, error: problem(e), loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

/** Calls {@code fn} every {@code ms} while {@code on}. */
export function useInterval(fn: () => void, ms: number, on = true) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms, on]);
}

/** A submit handler that records the Problem of a failed action for display, and a busy flag. */
export function useAction() {
  const [error, setError] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (e) {
      setError(problem(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, clear: () => setError(undefined) };
}

export function ErrorBanner({ error, title }: { error?: Problem; title?: string }) {
  if (!error) return null;
  return (
    <div class="error" role="alert" data-testid="error">
      <strong>{title ?? "The server refused this"}</strong> <code class="status">{error.code}</code>
      <div class="error-message">{error.message}</div>
      {error.fields.length > 0 && (
        <ul class="violations">
          {error.fields.map((f) => (
            <li>
              <code>{f.field}</code>: {f.description}
            </li>
          ))}
        </ul>
      )}
      {error.reason && <div class="muted">reason: {error.reason}</div>}
    </div>
  );
}

/** A labelled form control; shows the server's violation for {@code field} (exact path) under it. */
export function Field(props: { label: string; field?: string; error?: Problem; hint?: string; children: ComponentChildren; wide?: boolean }) {
  const violation = props.field ? props.error?.fields.find((f) => f.field === props.field) : undefined;
  return (
    <label class={"field" + (props.wide ? " wide" : "") + (violation ? " invalid" : "")}>
      <span class="label">{props.label}</span>
      {props.children}
      {violation ? <span class="field-error">{violation.description}</span> : props.hint && <span class="hint">{props.hint}</span>}
    </label>
  );
}

export function Page(props: { title: string; actions?: ComponentChildren; children: ComponentChildren; subtitle?: ComponentChildren }) {
  return (
    <section class="page">
      <header class="page-header">
        <div>
          <h1>{props.title}</h1>
          {props.subtitle && <div class="subtitle">{props.subtitle}</div>}
        </div>
        <div class="actions">{props.actions}</div>
      </header>
      {props.children}
    </section>
  );
}

export function Card(props: { title?: ComponentChildren; children: ComponentChildren; class?: string; actions?: ComponentChildren }) {
  return (
    <div class={"card " + (props.class ?? "")}>
      {(props.title || props.actions) && (
        <div class="card-header">
          <h2>{props.title}</h2>
          <div class="actions">{props.actions}</div>
        </div>
      )}
      {props.children}
    </div>
  );
}

export function Loading({ what }: { what?: string }) {
  return <div class="muted loading">Loading{what ? " " + what : ""}…</div>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Badge({ kind, children }: { kind?: string; children: ComponentChildren }) {
  return <span class={"badge " + (kind ?? "")}>{children}</span>;
}

export function Stat({ label, value, testid }: { label: string; value: ComponentChildren; testid?: string }) {
  return (
    <div class="stat" data-testid={testid}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

export function tsDate(t?: Timestamp): Date | undefined {
  if (!t) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6));
}

export function when(t?: Timestamp): string {
  const d = tsDate(t);
  return d ? d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" }) : "—";
}

export function durationMs(d?: Duration): number {
  return d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : 0;
}

/** 75300 ms -> "1:15"; with tenths -> "1:15.3". */
export function clock(ms: number, tenths = false): string {
  const s = Math.max(0, ms) / 1000;
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  const sec = tenths ? rest.toFixed(1).padStart(4, "0") : Math.floor(rest).toString().padStart(2, "0");
  return `${m}:${sec}`;
}

export function shortId(id: string): string {
  return id ? id.slice(0, 8) : "—";
}

/** ENUM_PREFIX_SOME_VALUE -> "some value". */
export function enumLabel(name: string | undefined, prefix: string): string {
  if (!name) return "—";
  return name.replace(prefix, "").toLowerCase().replace(/_/g, " ");
}

export function Pager(props: { token: string; onMore: () => void; busy?: boolean }) {
  if (!props.token) return null;
  return (
    <div class="pager">
      <button class="secondary" onClick={props.onMore} disabled={props.busy}>
        Load more
      </button>
    </div>
  );
}
