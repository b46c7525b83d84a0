import { describe, expect, it } from "vitest";
import { api, newPatient, signIn } from "./harness";

describe("GET/PUT /api/me", () => {
  it("shows and replaces a patient's profile: references only, validated", async () => {
    const p = await newPatient("Ada Lovelace");
    const first = await api("GET", "/api/me", { token: p.token });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ kind: "patient", id: p.sub, name: "Ada Lovelace", email: p.email, phone: null, insuranceRef: null });

    const put = await api("PUT", "/api/me", {
      token: p.token,
      body: { name: "Ada King", phone: "+447700900123", preferredLanguage: "en-GB", insuranceRef: "AXA/123-456", medicalRecordRef: "MRN:0042" },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ name: "Ada King", phone: "+447700900123", preferredLanguage: "en-GB", insuranceRef: "AXA/123-456", medicalRecordRef: "MRN:0042", email: p.email });
    expect((await api("GET", "/api/me", { token: p.token })).body).toMatchObject({ name: "Ada King", medicalRecordRef: "MRN:0042" });

    // PUT replaces: omitted optional fields are cleared.
    const cleared = await api("PUT", "/api/me", { token: p.token, body: { name: "Ada King", preferredLanguage: "en" } });
    expect(cleared.body).toMatchObject({ phone: null, insuranceRef: null, medicalRecordRef: null });

    // Free text where a reference belongs (medical content) is refused, as are unknown fields and a changed e-mail.
    for (const body of [
      { name: "Ada", preferredLanguage: "en", medicalRecordRef: "type 2 diabetes, insulin" },
      { name: "Ada", preferredLanguage: "en", email: "new@example.com" },
      { name: "", preferredLanguage: "en" },
      { name: "Ada", preferredLanguage: "English" },
      { name: "Ada", preferredLanguage: "en", phone: "07700 900123" },
    ]) {
      const res = await api("PUT", "/api/me", { token: p.token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
  });

  it("tells staff who they are: roles, clinics and their doctor record", async () => {
    const doctor = await signIn("doctor@demo.carebook.test");
    const res = await api("GET", "/api/me", { token: doctor });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: "staff", id: "demo-doctor", roles: ["doctor"], clinicIds: ["london-central"], doctorId: "amelia-hughes" });
    expect((await api("PUT", "/api/me", { token: doctor, body: { name: "x", preferredLanguage: "en" } })).status).toBe(403);
  });
});
