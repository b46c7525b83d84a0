/**
 * Administrators keep the staff records the authorization matrix reads: roles, clinics, the
 * doctor record. A new nurse's record lets them into their clinic's queue at once.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { api, signIn, testDb } from "./harness";

describe("staff records", () => {
  it("creates, lists and changes a staff record, audited; refuses clinics that are not the admin's and foreign doctor records", async () => {
    const admin = await signIn("admin@demo.carebook.test");
    const sub = `staff-${randomUUID()}`;
    const record = { name: "Nia Nurse", email: "Nia.Nurse@Test.Carebook.Test", roles: ["nurse"], clinicIds: ["london-central"] };

    const created = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: record });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toMatchObject({ created: true, staff: { sub, email: "nia.nurse@test.carebook.test", roles: ["nurse"], active: true } });
    const listed = await api("GET", "/api/admin/staff", { token: admin });
    expect(listed.body.staff.map((m: { sub: string }) => m.sub)).toEqual(expect.arrayContaining([sub, "demo-nurse"]));

    const moved = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body: { ...record, clinicIds: ["amsterdam-zuid"] } });
    expect(moved.body).toMatchObject({ created: false, staff: { clinicIds: ["amsterdam-zuid"] } });
    const audit = (await testDb().auditEntry.query.bySubject({ subjectType: "staff", subjectId: sub }).go()).data;
    expect(audit.map((e) => [e.action, e.clinicId]).sort()).toEqual(
      [["staff.created", "london-central"], ["staff.updated", "amsterdam-zuid"], ["staff.updated", "london-central"]].sort(),
    );

    // Bad input, unknown or inactive clinics, another account's doctor record, a doctor record on a nurse.
    for (const [body, status, code] of [
      [{ ...record, roles: [] }, 400, "VALIDATION_FAILED"],
      [{ ...record, roles: ["patient"] }, 400, "VALIDATION_FAILED"],
      [{ ...record, clinicIds: [] }, 400, "VALIDATION_FAILED"],
      [{ ...record, doctorId: "amelia-hughes" }, 400, "VALIDATION_FAILED"],
      [{ ...record, roles: ["doctor"], doctorId: "amelia-hughes" }, 409, "ACCOUNT_ALREADY_LINKED"],
      [{ ...record, clinicIds: ["nowhere"] }, 403, "NOT_YOUR_CLINIC"],
    ] as const) {
      const res = await api("PUT", `/api/admin/staff/${sub}`, { token: admin, body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBe(code);
    }
    // The admin cannot demote themselves.
    const self = await api("PUT", "/api/admin/staff/demo-admin", {
      token: admin,
      body: { name: "Ada Admin", email: "admin@demo.carebook.test", roles: ["nurse"], clinicIds: ["london-central"] },
    });
    expect(self.status).toBe(422);
    expect(self.body.error.code).toBe("SELF_DEMOTION");
  });
});
