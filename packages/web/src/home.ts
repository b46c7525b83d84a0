/** Where each kind of user starts, and what their navigation lists. */
import { rolesOf, type Me, type Role } from "./session";

export interface NavItem {
  to: string;
  label: string;
}

export const navByRole: Record<Role, NavItem[]> = {
  patient: [
    { to: "/appointments", label: "My appointments" },
    { to: "/book", label: "Book" },
    { to: "/preferences", label: "Notifications" },
  ],
  doctor: [
    { to: "/staff/schedule", label: "My schedule" },
    { to: "/staff/availability", label: "Working hours" },
    { to: "/staff/leave", label: "Leave" },
  ],
  nurse: [
    { to: "/staff/prescreening", label: "Pre-screening" },
    { to: "/staff/leave", label: "Leave" },
  ],
  admin: [
    { to: "/admin/metrics", label: "Metrics" },
    { to: "/admin/leave", label: "Leave" },
    { to: "/admin/audit", label: "Audit log" },
    { to: "/admin/clinics", label: "Clinics" },
    { to: "/admin/doctors", label: "Doctors" },
    { to: "/admin/types", label: "Visit types" },
    { to: "/admin/staff", label: "Staff" },
  ],
  support: [{ to: "/support", label: "Find a patient" }],
};

export function navOf(roles: Role[]): NavItem[] {
  const seen = new Set<string>();
  return roles.flatMap((r) => navByRole[r]).filter((item) => !seen.has(item.to) && seen.add(item.to));
}

export function homeOf(me: Me): string {
  return navOf(rolesOf(me))[0]?.to ?? "/";
}
