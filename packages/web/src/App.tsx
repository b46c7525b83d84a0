/**
 * The app's frame and routes. Each page is reachable only for the roles that may use it; the
 * API enforces the same rules (functions/routes.ts), the UI merely does not offer the rest.
 */
import type { ReactNode } from "react";
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useNavigate } from "react-router";
import { homeOf, navOf } from "./home";
import { AppointmentDetail } from "./pages/patient/AppointmentDetail";
import { Appointments } from "./pages/patient/Appointments";
import { Book } from "./pages/patient/Book";
import { OfflineAppointments } from "./pages/patient/OfflineAppointments";
import { Preferences } from "./pages/patient/Preferences";
import { AuthCallback, SignIn, SignUp } from "./pages/SignIn";
import { AvailabilityPage } from "./pages/staff/Availability";
import { LeavePage } from "./pages/staff/Leave";
import { PrescreeningQueue } from "./pages/staff/Prescreening";
import { SchedulePage } from "./pages/staff/Schedule";
import { Loading, Page } from "./components/ui";
import { RealtimeProvider, useRealtimeConnected } from "./realtime";
import { SessionProvider, useSession, type Role } from "./session";
// Loaded on demand (React.lazy): patients never download the admin pages, nor recharts.
import { Audit, Clinics, Doctors, LeaveRequests, Metrics, Staff, Types } from "./pages/admin/lazy";
import { Support } from "./pages/support/lazy";

function Frame({ children }: { children: ReactNode }) {
  const { me, roles, signOut } = useSession();
  const navigate = useNavigate();
  const live = useRealtimeConnected();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand">
          Carebook
        </Link>
        {me ? (
          <nav aria-label="Main">
            <ul>
              {navOf(roles).map((item) => (
                <li key={item.to}>
                  <NavLink to={item.to}>{item.label}</NavLink>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {me ? (
          <div className="who">
            <span>
              {me.name}
              <span className="muted"> · {roles.join(", ")}</span>
            </span>
            <span className={live ? "live on" : "live"} title={live ? "Live updates on" : "Live updates reconnecting"}>
              {live ? "Live" : "Offline"}
            </span>
            <button
              type="button"
              onClick={() => {
                void signOut().then(() => navigate("/signin"));
              }}
            >
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main">{children}</main>
    </>
  );
}

function Only({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { me, roles: mine, loading } = useSession();
  if (loading) return <Loading what="your session" />;
  if (!me) return <Navigate to="/signin" replace />;
  if (!roles.some((r) => mine.includes(r))) return <Navigate to={homeOf(me)} replace />;
  return <>{children}</>;
}

function Home() {
  const { me, loading } = useSession();
  if (loading) return <Loading what="your session" />;
  return <Navigate to={me ? homeOf(me) : "/signin"} replace />;
}

function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing here. <Link to="/">Go to the start page</Link>
      </p>
    </Page>
  );
}

export function App() {
  return (
    <BrowserRouter>
      <SessionProvider>
        <RealtimeProvider>
          <Frame>
            <Routes>
              <Route path="/" element={<Home />} />
              <Route path="/signin" element={<SignIn />} />
              <Route path="/signup" element={<SignUp />} />
              <Route path="/auth/callback" element={<AuthCallback />} />
              <Route path="/offline" element={<OfflineAppointments />} />
              <Route path="/book" element={<Only roles={["patient"]}><Book /></Only>} />
              <Route path="/appointments" element={<Only roles={["patient"]}><Appointments /></Only>} />
              <Route path="/appointments/:id" element={<Only roles={["patient"]}><AppointmentDetail /></Only>} />
              <Route path="/preferences" element={<Only roles={["patient"]}><Preferences /></Only>} />
              <Route path="/staff/schedule" element={<Only roles={["doctor"]}><SchedulePage /></Only>} />
              <Route path="/staff/availability" element={<Only roles={["doctor"]}><AvailabilityPage /></Only>} />
              <Route path="/staff/leave" element={<Only roles={["doctor", "nurse"]}><LeavePage /></Only>} />
              <Route path="/staff/prescreening" element={<Only roles={["nurse", "admin"]}><PrescreeningQueue /></Only>} />
              <Route path="/admin/metrics" element={<Only roles={["admin"]}><Metrics /></Only>} />
              <Route path="/admin/audit" element={<Only roles={["admin"]}><Audit /></Only>} />
              <Route path="/admin/clinics" element={<Only roles={["admin"]}><Clinics /></Only>} />
              <Route path="/admin/doctors" element={<Only roles={["admin"]}><Doctors /></Only>} />
              <Route path="/admin/types" element={<Only roles={["admin"]}><Types /></Only>} />
              <Route path="/admin/staff" element={<Only roles={["admin"]}><Staff /></Only>} />
              <Route path="/admin/leave" element={<Only roles={["admin"]}><LeaveRequests /></Only>} />
              <Route path="/support" element={<Only roles={["support"]}><Support /></Only>} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </Frame>
        </RealtimeProvider>
      </SessionProvider>
    </BrowserRouter>
  );
}
