import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, problem, session, type Problem } from "./api";
import type { Organization } from "./gen/switchboard/v1/organizations_pb";
import { ErrorBanner, Loading, navigate, useHashRoute } from "./ui";
import { AgentsPage, AgentEditPage } from "./pages/agents";
import { CampaignsPage, CampaignPage, CampaignNewPage } from "./pages/campaigns";
import { ContactsPage } from "./pages/contacts";
import { MessagesPage } from "./pages/messages";
import { CallsPage, CallPage } from "./pages/calls";
import { RetentionPage } from "./pages/retention";
import { AuditPage } from "./pages/audit";
import { UsagePage } from "./pages/usage";
import "./styles.css";

const NAV: [string, string][] = [
  ["calls", "Calls"],
  ["campaigns", "Campaigns"],
  ["agents", "Agents"],
  ["contacts", "Contacts"],
  ["messages", "Messages"],
  ["retention", "Plan & retention"],
  ["audit", "Audit log"],
  ["usage", "Usage"],
];

function SignIn({ onSignedIn }: { onSignedIn: (org: Organization) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    session.key = key.trim();
    try {
      onSignedIn(await api.organizations.getOrganization({}));
    } catch (err) {
      session.key = "";
      setError(problem(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="signin">
      <form class="card signin-card" onSubmit={submit}>
        <div class="brand big">Switchboard</div>
        <p class="muted">Sign in with an API key of your organisation. The key stays in this browser tab only.</p>
        <label class="field wide">
          <span class="label">API key</span>
          <input name="apiKey" type="password" autocomplete="off" value={key} onInput={(e) => setKey(e.currentTarget.value)} required autofocus />
        </label>
        <ErrorBanner error={error} title="Sign-in failed" />
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="hint">
          With <code>./switchboard dev</code> running, the bootstrap key is in <code>.switchboard/bootstrap-key</code>.
        </p>
      </form>
    </div>
  );
}

function Routes({ parts }: { parts: string[] }) {
  const [section, id, sub] = parts;
  switch (section) {
    case "agents":
      return id ? <AgentEditPage id={id === "new" ? undefined : id} /> : <AgentsPage />;
    case "campaigns":
      if (id === "new") return <CampaignNewPage />;
      return id ? <CampaignPage id={id} /> : <CampaignsPage />;
    case "contacts":
      return <ContactsPage listId={id} />;
    case "messages":
      return <MessagesPage parts={parts.slice(1)} />;
    case "calls":
      return id ? <CallPage id={id} key={id} /> : <CallsPage />;
    case "retention":
      return <RetentionPage />;
    case "audit":
      return <AuditPage />;
    case "usage":
      return <UsagePage />;
    default:
      void sub;
      return <CallsPage />;
  }
}

function App() {
  const [org, setOrg] = useState<Organization | undefined>();
  const [checking, setChecking] = useState(!!session.key);
  const [lost, setLost] = useState<Problem | undefined>();
  const parts = useHashRoute();
  useEffect(() => {
    if (!session.key) return;
    api.organizations.getOrganization({}).then(
      (o) => {
        setOrg(o);
        setChecking(false);
      },
      (e) => {
        session.key = "";
        setLost(problem(e));
        setChecking(false);
      },
    );
  }, []);
  if (checking) return <Loading what="your organisation" />;
  if (!org)
    return (
      <>
        {lost && <ErrorBanner error={lost} title="Your session ended" />}
        <SignIn onSignedIn={(o) => { setOrg(o); if (!parts.length) navigate("calls"); }} />
      </>
    );
  const section = parts[0] ?? "calls";
  return (
    <div class="shell">
      <nav class="sidebar">
        <div class="brand">Switchboard</div>
        <div class="org" data-testid="org-name" title={org.id}>
          {org.name}
          <span class="muted">{org.planId} plan{org.hipaaMode ? " · HIPAA" : ""}</span>
        </div>
        <ul>
          {NAV.map(([path, label]) => (
            <li>
              <a href={"#/" + path} class={section === path ? "active" : ""}>
                {label}
              </a>
            </li>
          ))}
        </ul>
        <button
          class="link signout"
          onClick={() => {
            session.key = "";
            setOrg(undefined);
          }}
        >
          Sign out
        </button>
      </nav>
      <main class="content">
        <Routes parts={parts} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
