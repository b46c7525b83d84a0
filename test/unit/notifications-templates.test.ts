import { describe, expect, it } from "vitest";
import { languages, messageKinds, reasonText, render, SMS_MAX_CHARS, templates, type TemplateContext } from "@carebook/core/notifications/templates";

// 09:00Z on 29 March 2027 is 11:00 in Berlin (CEST, DST began on the 28th).
const ctx: TemplateContext = {
  patientName: "Anna Schmidt",
  clinicName: "Praxis Mitte",
  clinicAddress: "Invalidenstraße 1, 10115 Berlin",
  typeName: "Impfung",
  start: "2027-03-29T09:00:00Z",
  end: "2027-03-29T09:30:00Z",
  timeZone: "Europe/Berlin",
  doctorName: "Dr Lena Vogel",
  previousStart: "2027-03-26T10:15:00Z",
  reason: "prescreening-rejected",
  answerBy: "2027-03-27T17:00:00Z",
  message: "The clinic is closed today because of a power cut.",
  // 30 March 09:30Z is 11:30 in Berlin; 31 March 23:00Z is already 1 April there.
  offers: [
    { start: "2027-03-30T09:30:00Z", end: "2027-03-30T10:00:00Z" },
    { start: "2027-03-31T23:00:00Z", end: "2027-03-31T23:30:00Z" },
    { start: "2027-04-02T12:00:00Z", end: "2027-04-02T12:30:00Z" },
  ],
};

const strings = (r: ReturnType<typeof render>) => [r.subject, r.text, r.html, r.sms, r.push.title, r.push.body];

describe("notification templates", () => {
  it("renders every kind in every language with no missing values or leftover placeholders", () => {
    for (const language of languages) {
      for (const kind of messageKinds) {
        const r = render(kind, language, ctx);
        for (const s of strings(r)) {
          expect(s, `${kind}/${language}`).not.toMatch(/undefined|null|NaN|Invalid DateTime|\{|\}/);
          expect(s.trim().length, `${kind}/${language}`).toBeGreaterThan(0);
        }
        expect(r.sms.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
        expect(r.text).toContain("Anna Schmidt");
      }
    }
  });

  it("has the same kinds and reason codes in every language", () => {
    for (const language of languages) {
      expect(Object.keys(templates[language].kinds).sort()).toEqual([...messageKinds].sort());
      expect(Object.keys(templates[language].reasons).sort()).toEqual(Object.keys(templates.en.reasons).sort());
    }
  });

  it("shows times on the clinic's wall clock with the zone named, in the language's locale", () => {
    const en = render("confirmation", "en", ctx);
    expect(en.text).toContain("Monday, 29 March 2027, 11:00–11:30 CEST");
    expect(en.sms).toContain("Mon 29 Mar, 11:00 CEST");
    const de = render("confirmation", "de", ctx);
    expect(de.text).toContain("Montag, 29. März 2027, 11:00–11:30 Uhr (MESZ)");
    const london = render("reminder", "en", { ...ctx, timeZone: "Europe/London" });
    expect(london.text).toContain("10:00–10:30 BST");
    expect(london.text).not.toContain("11:00");
  });

  it("writes German in German", () => {
    const de = render("confirmation", "de", ctx);
    expect(de.subject).toMatch(/^Termin bestätigt/);
    expect(de.text).toMatch(/^Guten Tag Anna Schmidt,/);
    expect(de.text).toContain("Mit freundlichen Grüßen");
    for (const kind of messageKinds) {
      const r = render(kind, "de", ctx);
      expect(`${r.subject} ${r.text}`, kind).not.toMatch(/\b(your|appointment|Dear|Kind regards|Monday|March)\b/);
    }
  });

  it("says what changed: the old and new time, the answer deadline, the reason in words", () => {
    const moved = render("rescheduled", "en", ctx);
    expect(moved.text).toContain("from Friday, 26 March 2027, 11:15 CET to Monday, 29 March 2027, 11:00–11:30 CEST");
    const pending = render("pending", "en", ctx);
    expect(pending.text).toContain("by Saturday, 27 March 2027, 18:00 CET");
    const cancelled = render("cancelled", "de", ctx);
    expect(cancelled.text).toContain(templates.de.reasons["prescreening-rejected"]);
    expect(cancelled.text).not.toContain("prescreening-rejected");
    const emergency = render("emergency", "en", ctx);
    expect(emergency.text).toContain("closed today because of a power cut");
    expect(emergency.push.body).toBe(ctx.message);
  });

  it("maps unknown cancellation reasons (or free text) to a generic sentence", () => {
    expect(reasonText("en", "hold-expired")).toMatch(/expired/);
    expect(reasonText("en", "workflow-unavailable")).toBe(templates.en.genericReason);
    expect(reasonText("de", "I am feeling better")).toBe(templates.de.genericReason);
    expect(reasonText("en", "toString")).toBe(templates.en.genericReason);
    expect(reasonText("en", undefined)).toBe(templates.en.genericReason);
    expect(render("cancelled", "en", { ...ctx, reason: "I am feeling better" }).text).not.toContain("feeling better");
  });

  it("leaves out the optional doctor and address, and refuses to render without a value the kind needs", () => {
    const { doctorName: _d, clinicAddress: _a, ...bare } = ctx;
    const r = render("confirmation", "en", bare);
    expect(r.text).not.toMatch(/ with |Address:/);
    expect(render("confirmation", "en", ctx).text).toContain("with Dr Lena Vogel");
    expect(() => render("rescheduled", "en", { ...bare, previousStart: undefined })).toThrow(/previousStart/);
    expect(() => render("pending", "de", { ...bare, answerBy: undefined })).toThrow(/answerBy/);
    expect(() => render("emergency", "en", { ...bare, message: undefined })).toThrow(/message/);
    expect(() => render("reassigned", "de", bare)).toThrow(/doctorName/);
    expect(() => render("reschedule-needed", "en", { ...bare, offers: undefined })).toThrow(/offers/);
    expect(() => render("reschedule-needed", "en", { ...bare, offers: [{ start: "soon", end: "later" }] })).toThrow(/offers\[0\]\.start/);
    expect(() => render("reminder", "en", { ...bare, start: "tomorrow" })).toThrow(RangeError);
  });

  it("escapes every value in the HTML, and only in the HTML", () => {
    const evil = { ...ctx, patientName: `<script>alert("x")</script>`, clinicName: "Tom & Jerry's", message: "a <b>bold</b>\nsecond line" };
    const r = render("emergency", "en", evil);
    expect(r.html).not.toContain("<script>");
    expect(r.html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(r.html).toContain("Tom &amp; Jerry&#39;s");
    expect(r.html).toContain("a &lt;b&gt;bold&lt;/b&gt;<br>second line");
    expect(r.text).toContain(`<script>alert("x")</script>`);
    expect(r.subject).toBe("Important message from Tom & Jerry's");
  });

  it("does not substitute placeholders that appear inside values", () => {
    const r = render("confirmation", "en", { ...ctx, patientName: "{clinicName}" });
    expect(r.text).toMatch(/^Dear \{clinicName\},/);
  });

  it("keeps SMS within two segments of the GSM alphabet, cutting long clinic messages", () => {
    const r = render("emergency", "de", { ...ctx, message: "Wegen eines Stromausfalls bleibt die Praxis heute geschlossen. ".repeat(10) });
    expect(r.sms.length).toBe(SMS_MAX_CHARS);
    expect(r.sms.endsWith("...")).toBe(true);
    for (const language of languages) {
      for (const kind of messageKinds) expect(render(kind, language, ctx).sms, `${kind}/${language}`).not.toMatch(/[–…]/);
    }
  });
});

describe("cancellation reasons", () => {
  it("understands the codes the pre-screening workflow writes", () => {
    for (const language of languages) {
      expect(reasonText(language, "prescreening-not-answered")).toBe(templates[language].reasons["prescreening-timeout"]);
      expect(reasonText(language, "prescreening-not-decided")).toBe(templates[language].reasons["decision-overdue"]);
      for (const code of ["patient-cancelled", "prescreening-rejected", "prescreening-timeout", "decision-overdue", "hold-expired"]) {
        expect(reasonText(language, code), `${code}/${language}`).not.toBe(templates[language].genericReason);
      }
    }
  });
});

describe("a doctor who can no longer see the patient", () => {
  it("tells of the new doctor with the time and place unchanged, and no private reason", () => {
    const en = render("reassigned", "en", { ...ctx, reason: "leave" });
    expect(en.subject).toBe("Appointment update: Impfung, Mon 29 Mar, 11:00 CEST, now with Dr Lena Vogel");
    expect(en.text).toContain(
      "Your Impfung appointment on Monday, 29 March 2027, 11:00–11:30 CEST at Praxis Mitte is now with Dr Lena Vogel (your doctor is not available then); the time and place are unchanged.",
    );
    expect(en.text).toContain("Address: Invalidenstraße 1, 10115 Berlin");
    expect(en.sms).toBe("Praxis Mitte: your Impfung appointment on Mon 29 Mar, 11:00 CEST is now with Dr Lena Vogel. Time and place are unchanged.");
    expect(en.push).toEqual({ title: "New doctor for your appointment", body: "Impfung, Mon 29 Mar, 11:00 CEST: now with Dr Lena Vogel" });
    const de = render("reassigned", "de", ctx);
    expect(de.text).toContain("Ihr Termin (Impfung) am Montag, 29. März 2027, 11:00–11:30 Uhr (MESZ) bei Praxis Mitte findet jetzt bei Dr Lena Vogel statt");
    expect(de.text).toContain("Uhrzeit und Ort bleiben unverändert");
    expect(de.sms).toContain("Mo 29. Mär, 11:00 Uhr (MESZ)");
    for (const language of languages) {
      const r = render("reassigned", language, { ...ctx, reason: "leave" });
      for (const s of strings(r)) expect(s, language).not.toMatch(/leave|Urlaub|deactivated|availability/i);
    }
  });

  it("asks for another time, offering up to three on the clinic's wall clock, and says the appointment stands", () => {
    const en = render("reschedule-needed", "en", ctx);
    expect(en.subject).toBe("Please choose a new time: Impfung, Mon 29 Mar, 11:00 CEST");
    expect(en.text).toContain("Your doctor can no longer see you on Monday, 29 March 2027, 11:00–11:30 CEST for your Impfung appointment at Praxis Mitte. Please choose another time.");
    expect(en.text).toContain(
      [
        "These times are free:",
        "• Tuesday, 30 March 2027, 11:30–12:00 CEST",
        "• Thursday, 1 April 2027, 01:00–01:30 CEST",
        "• Friday, 2 April 2027, 14:00–14:30 CEST",
        "You can book one of them in Carebook, or choose any other time.",
      ].join("\n"),
    );
    expect(en.text).toContain("Your appointment stands until you choose a new time or cancel it; nothing has been cancelled.");
    expect(en.text).not.toMatch(/no free time/i);
    expect(en.html).toContain("These times are free:<br>• Tuesday, 30 March 2027, 11:30–12:00 CEST<br>• Thursday, 1 April 2027");
    expect(en.sms).toBe(
      "Praxis Mitte: your doctor can no longer see you on Mon 29 Mar, 11:00 CEST. Free times: Tue 30 Mar, 11:30 CEST; Thu 1 Apr, 01:00 CEST; Fri 2 Apr, 14:00 CEST. Choose one in Carebook. Your appointment stands until then.",
    );
    expect(en.push).toEqual({ title: "Please choose a new time", body: "Impfung, Mon 29 Mar, 11:00 CEST: your doctor can no longer see you then" });

    const de = render("reschedule-needed", "de", ctx);
    expect(de.text).toContain("Leider kann Ihre Ärztin bzw. Ihr Arzt Sie am Montag, 29. März 2027, 11:00–11:30 Uhr (MESZ) nicht mehr behandeln");
    expect(de.text).toContain("Diese Zeiten sind frei:\n• Dienstag, 30. März 2027, 11:30–12:00 Uhr (MESZ)\n• Donnerstag, 1. April 2027, 01:00–01:30 Uhr (MESZ)\n• Freitag, 2. April 2027, 14:00–14:30 Uhr (MESZ)");
    expect(de.text).toContain("Ihr Termin bleibt bestehen");
    expect(de.sms).toContain("Freie Zeiten: Di 30. Mär, 11:30 Uhr (MESZ); Do 1. Apr, 01:00 Uhr (MESZ); Fr 2. Apr, 14:00 Uhr (MESZ).");

    // Another zone, another wall clock.
    const london = render("reschedule-needed", "en", { ...ctx, timeZone: "Europe/London" });
    expect(london.text).toContain("• Tuesday, 30 March 2027, 10:30–11:00 BST");
    expect(london.text).toContain("• Thursday, 1 April 2027, 00:00–00:30 BST");
  });

  it("says what to do when no time is free nearby", () => {
    const none = { ...ctx, offers: [] };
    const en = render("reschedule-needed", "en", none);
    expect(en.text).toContain("There is no free time nearby; please choose a time in Carebook or call the clinic.");
    expect(en.text).not.toContain("These times are free");
    expect(en.text).toContain("Your appointment stands until");
    expect(en.sms).toBe(
      "Praxis Mitte: your doctor can no longer see you on Mon 29 Mar, 11:00 CEST. No free time nearby: please choose a time in Carebook or call the clinic. Your appointment stands until then.",
    );
    const de = render("reschedule-needed", "de", none);
    expect(de.text).toContain(templates.de.offers.none);
    expect(de.sms).toContain(templates.de.offers.smsNone);
    // The clinic's phone, when known.
    expect(en.text).not.toContain("Clinic phone");
    expect(render("reschedule-needed", "en", { ...none, clinicPhone: "+49 30 1234567" }).text).toContain("Clinic phone: +49 30 1234567");
    expect(render("reschedule-needed", "de", { ...none, clinicPhone: "+49 30 1234567" }).text).toContain("Telefon der Praxis: +49 30 1234567");
  });

  it("escapes the doctor's, clinic's and patient's names in the HTML", () => {
    const evil = { ...ctx, doctorName: `Dr <img src=x onerror="alert(1)">`, clinicName: "Tom & Jerry's", clinicPhone: "<b>0</b>", patientName: "<i>Pat</i>" };
    for (const language of languages) {
      for (const kind of ["reassigned", "reschedule-needed"] as const) {
        const r = render(kind, language, evil);
        expect(r.html, `${kind}/${language}`).not.toMatch(/<img|<b>|<i>/);
        expect(r.html).toContain("Tom &amp; Jerry&#39;s");
        expect(r.html).toContain("&lt;i&gt;Pat&lt;/i&gt;");
      }
      expect(render("reassigned", language, evil).html).toContain("Dr &lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
      expect(render("reschedule-needed", language, evil).html).toContain("&lt;b&gt;0&lt;/b&gt;");
    }
    expect(render("reassigned", "en", evil).sms).toContain(`Dr <img src=x onerror="alert(1)">`);
  });
});
