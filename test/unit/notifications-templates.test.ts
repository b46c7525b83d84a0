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
