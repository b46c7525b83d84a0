import { describe, expect, it } from "vitest";
import { eventConsumers } from "../../functions/events/index";
import type { StaffMember } from "@carebook/core/entities/index";
import { EVENT_SOURCE } from "@carebook/core/events/bus";
import { matches } from "@carebook/core/events/pattern";
import { PRESCREENING_QUEUE_PATH, staffAudience, staffLanguageFor, staffMessageId } from "@carebook/core/notifications/staff-alerts";
import { languages, renderStaffAlert, SMS_MAX_CHARS, staffMessageKinds, templates, type StaffAlertContext } from "@carebook/core/notifications/templates";

// 09:00Z on 29 March 2027 is 11:00 in Berlin (CEST, DST began on the 28th).
const ctx: StaffAlertContext = {
  staffName: "Nora Nurse",
  clinicName: "Praxis Mitte",
  typeName: "Impfung",
  start: "2027-03-29T09:00:00Z",
  end: "2027-03-29T09:30:00Z",
  timeZone: "Europe/Berlin",
  slaDueAt: "2027-03-28T12:00:00Z",
  decideBy: "2027-03-29T08:00:00Z",
  queuePath: PRESCREENING_QUEUE_PATH,
};

const strings = (r: ReturnType<typeof renderStaffAlert>) => [r.subject, r.text, r.html, r.sms, r.push.title, r.push.body];

const member = (sub: string, over: Partial<StaffMember> = {}): StaffMember =>
  ({ sub, regionId: "r1", name: sub, email: `${sub}@example.com`, roles: ["nurse"], clinicIds: ["c1"], active: true, ...over }) as StaffMember;

describe("staff alert templates", () => {
  it("renders every staff kind in every language with no missing values or leftover placeholders", () => {
    for (const language of languages) {
      expect(Object.keys(templates[language].staff.kinds).sort()).toEqual([...staffMessageKinds].sort());
      for (const kind of staffMessageKinds) {
        const r = renderStaffAlert(kind, language, ctx);
        for (const s of strings(r)) {
          expect(s, `${kind}/${language}`).not.toMatch(/undefined|null|NaN|Invalid DateTime|\{|\}/);
          expect(s.trim().length).toBeGreaterThan(0);
        }
        expect(r.sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
        expect(r.text).toContain("Nora Nurse");
        expect(r.text).toContain("/staff/prescreening");
      }
    }
  });

  it("shows the appointment, the missed time limit and the deadline on the clinic's wall clock", () => {
    const en = renderStaffAlert("prescreening-escalated", "en", ctx);
    expect(en.subject).toBe("Pre-screening overdue: Impfung, Mon 29 Mar, 11:00 CEST, Praxis Mitte");
    expect(en.text).toContain("Appointment: Impfung, Monday, 29 March 2027, 11:00–11:30 CEST.");
    expect(en.text).toContain("time limit (Sunday, 28 March 2027, 14:00 CEST)");
    expect(en.text).toContain("If nobody decides by Monday, 29 March 2027, 10:00 CEST");
    const de = renderStaffAlert("prescreening-escalated", "de", ctx);
    expect(de.text).toContain("Termin: Impfung, Montag, 29. März 2027, 11:00–11:30 Uhr (MESZ).");
    expect(de.text).toContain("Entscheidet bis Montag, 29. März 2027, 10:00 Uhr (MESZ) niemand");
  });

  it("speaks as Carebook, not as the clinic, and shows only what the context holds (no patient)", () => {
    const r = renderStaffAlert("prescreening-escalated", "en", ctx);
    expect(r.text.startsWith("Hello Nora Nurse,")).toBe(true);
    expect(r.text).not.toMatch(/Dear|Kind regards/);
    // The context type has no patient, answers or doctor to show; the rendered text names none.
    expect(Object.keys(ctx).sort()).toEqual(["clinicName", "decideBy", "end", "queuePath", "slaDueAt", "staffName", "start", "timeZone", "typeName"]);
  });

  it("escapes values in the HTML part", () => {
    const r = renderStaffAlert("prescreening-escalated", "en", { ...ctx, clinicName: "A & B <Clinic>" });
    expect(r.html).toContain("A &amp; B &lt;Clinic&gt;");
    expect(r.html).not.toContain("<Clinic>");
    expect(r.text).toContain("A & B <Clinic>");
  });

  it("throws on a time it cannot show rather than sending a broken alert", () => {
    expect(() => renderStaffAlert("prescreening-escalated", "en", { ...ctx, decideBy: "tomorrow" })).toThrow(/decideBy/);
  });
});

describe("staff alert audience", () => {
  it("is the active nurses and admins of the event's clinic, in a stable order", () => {
    const staff = [
      member("nurse-b"),
      member("nurse-a", { clinicIds: ["c2", "c1"] }),
      member("admin", { roles: ["admin"], clinicIds: ["c1", "c2"] }),
      member("other-clinic-nurse", { clinicIds: ["c2"] }),
      member("gone-nurse", { active: false }),
      member("doctor", { roles: ["doctor"], doctorId: "d1" }),
      member("support", { roles: ["support"], clinicIds: [] }),
    ];
    expect(staffAudience(staff, "c1", ["nurse", "admin"]).map((m) => m.sub)).toEqual(["admin", "nurse-a", "nurse-b"]);
    expect(staffAudience(staff, "c1", ["nurse"]).map((m) => m.sub)).toEqual(["nurse-a", "nurse-b"]);
  });

  it("writes German to the staff of clinics in German-speaking countries, else English", () => {
    expect(staffLanguageFor("DE")).toBe("de");
    expect(staffLanguageFor("at")).toBe("de");
    expect(staffLanguageFor("GB")).toBe("en");
    expect(staffLanguageFor("NL")).toBe("en");
    expect(staffLanguageFor(undefined)).toBe("en");
  });

  it("gives each event and staff member one message id", () => {
    expect(staffMessageId("e1", "prescreening-escalated", "s1")).toBe("e1:prescreening-escalated:s1");
    expect(staffMessageId("e1", "prescreening-escalated", "s1")).not.toBe(staffMessageId("e1", "prescreening-escalated", "s2"));
  });

  it("reaches the notifications consumer (its bus rule's pattern)", () => {
    const { pattern } = eventConsumers.notifications;
    expect(matches(pattern, { source: EVENT_SOURCE, "detail-type": "PreScreeningEscalated", detail: {} })).toBe(true);
  });
});
