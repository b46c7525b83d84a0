/**
 * The admin pages as App.tsx routes them: each loaded on first use (React.lazy), so patients
 * never download them — nor recharts, which only the metrics dashboard uses.
 */
import { lazy, Suspense, type ComponentType } from "react";
import { Loading } from "../../components/ui";

function onDemand(load: () => Promise<ComponentType>) {
  const Page = lazy(async () => ({ default: await load() }));
  return function OnDemand() {
    return (
      <Suspense fallback={<Loading what="the page" />}>
        <Page />
      </Suspense>
    );
  };
}

export const Metrics = onDemand(() => import("./Metrics").then((m) => m.Metrics));
export const Audit = onDemand(() => import("./Audit").then((m) => m.Audit));
export const Clinics = onDemand(() => import("./Clinics").then((m) => m.Clinics));
export const Doctors = onDemand(() => import("./Doctors").then((m) => m.Doctors));
export const Types = onDemand(() => import("./Types").then((m) => m.Types));
export const Staff = onDemand(() => import("./Staff").then((m) => m.Staff));
export const LeaveRequests = onDemand(() => import("./Leave").then((m) => m.LeaveRequests));
