/**
 * Notification texts: the patient's messages, and the few alerts staff get (`staff`, rendered by
 * `renderStaffAlert`). Templates are data — one pack per language — so a translator
 * edits strings, not code, and a test can check every kind in every language. Placeholders are
 * `{name}`; values are substituted in one pass (a value containing "{x}" stays as it is), and
 * in HTML every value is escaped. Dates and times are shown in the clinic's time zone, in the
 * language's locale, with the zone named, because the patient may read the message elsewhere.
 */
import { DateTime } from "luxon";

export const languages = ["en", "de"] as const;
export type Language = (typeof languages)[number];

export const messageKinds = [
  "confirmation",
  "pending",
  "reminder",
  "rescheduled",
  "cancelled",
  "call-patient",
  "emergency",
  "reassigned",
  "reschedule-needed",
] as const;
export type MessageKind = (typeof messageKinds)[number];

export interface TemplateContext {
  patientName: string;
  clinicName: string;
  clinicAddress?: string;
  /** The clinic's phone number, when it has one (shown where the patient is asked to call). */
  clinicPhone?: string;
  typeName: string;
  /** UTC ISO instants */
  start: string;
  end: string;
  /** The clinic's IANA zone: times are shown as the clinic's wall clock. */
  timeZone: string;
  /** The doctor the patient will see; "reassigned" names the new one and needs it. */
  doctorName?: string;
  /** rescheduled: where the appointment was */
  previousStart?: string;
  /** cancelled: a reason code ("hold-expired"…); unknown codes get a generic sentence */
  reason?: string;
  /** pending: the questionnaire's deadline (UTC ISO) */
  answerBy?: string;
  /** emergency: the clinic's own words */
  message?: string;
  /** reschedule-needed: free times offered instead (UTC ISO instants, at most three); an empty
   * list is a real answer ("no free time nearby"), an absent one a programming error. */
  offers?: Array<{ start: string; end: string }>;
}

/** Alerts for clinic staff (e-mail to their staff record's address; staff-alerts.ts). */
export const staffMessageKinds = ["prescreening-escalated"] as const;
export type StaffMessageKind = (typeof staffMessageKinds)[number];

/**
 * What a staff alert may show. Deliberately less than the nurse queue shows: no patient name, no
 * answers, no doctor — an e-mail leaves the audited screens, so it says only what to act on and
 * where; the queue (after sign-in, its read audited) has the rest.
 */
export interface StaffAlertContext {
  staffName: string;
  clinicName: string;
  typeName: string;
  /** The appointment, UTC ISO instants, shown on the clinic's wall clock. */
  start: string;
  end: string;
  timeZone: string;
  /** prescreening-escalated: the nurse SLA that was missed, and the final deadline (UTC ISO). */
  slaDueAt: string;
  decideBy: string;
  /** The web app's path of the pre-screening queue. */
  queuePath: string;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
  sms: string;
  push: { title: string; body: string };
}

/** One message kind in one language. `body` is paragraphs; a paragraph naming an optional
 * value that is absent (the clinic address) is left out. */
interface KindTemplate {
  subject: string;
  body: string[];
  sms: string;
  pushTitle: string;
  pushBody: string;
}

interface LanguagePack {
  locale: string;
  /** luxon formats; `{date}`, `{from}`, `{to}`, `{zone}` compose them */
  formats: { date: string; shortDate: string; time: string; zone: string; when: string; at: string; short: string };
  greeting: string;
  signOff: string;
  withDoctor: string;
  reasons: Record<string, string>;
  genericReason: string;
  /** reschedule-needed: the offered times (`{offerList}`: one `item` per line / `smsItem`s
   * joined by "; "), or what to do when there are none. */
  offers: { list: string; item: string; none: string; sms: string; smsItem: string; smsNone: string };
  kinds: Record<MessageKind, KindTemplate>;
  /** Alerts to clinic staff: from Carebook, not from the clinic, so their own greeting and sign-off. */
  staff: { greeting: string; signOff: string; kinds: Record<StaffMessageKind, KindTemplate> };
}

const ADDRESS_LINE = { en: "Address: {clinicAddress}", de: "Adresse: {clinicAddress}" };
const PHONE_LINE = { en: "Clinic phone: {clinicPhone}", de: "Telefon der Praxis: {clinicPhone}" };

export const templates: Record<Language, LanguagePack> = {
  en: {
    locale: "en-GB",
    formats: {
      date: "cccc, d LLLL yyyy",
      shortDate: "ccc d LLL",
      time: "HH:mm",
      zone: "ZZZZ",
      when: "{date}, {from}–{to} {zone}",
      at: "{date}, {from} {zone}",
      short: "{shortDate}, {from} {zone}",
    },
    greeting: "Dear {patientName},",
    signOff: "Kind regards,\n{clinicName}",
    withDoctor: " with {doctorName}",
    reasons: {
      "patient-cancelled": "You cancelled this appointment.",
      "prescreening-rejected":
        "After reviewing your questionnaire, the clinic cannot offer you this appointment. Please contact the clinic to discuss other options.",
      "prescreening-timeout": "We did not receive your questionnaire answers in time, so the reserved time was released.",
      "decision-overdue": "The clinic could not review your questionnaire in time. We are sorry; please book again or contact the clinic.",
      "hold-expired": "The reservation expired before the appointment could be confirmed.",
    },
    genericReason: "If you have any questions, please contact the clinic.",
    offers: {
      list: "These times are free:\n{offerList}\nYou can book one of them in Carebook, or choose any other time.",
      item: "• {when}",
      none: "There is no free time nearby; please choose a time in Carebook or call the clinic.",
      sms: "Free times: {offerList}. Choose one in Carebook.",
      smsItem: "{short}",
      smsNone: "No free time nearby: please choose a time in Carebook or call the clinic.",
    },
    kinds: {
      confirmation: {
        subject: "Appointment confirmed: {typeName}, {short}",
        body: [
          "Your {typeName} appointment{withDoctor} at {clinicName} is confirmed for {when}.",
          ADDRESS_LINE.en,
          "If you cannot come, please cancel in Carebook so that someone else can have the time.",
        ],
        sms: "{clinicName}: your {typeName} appointment is confirmed for {short}.",
        pushTitle: "Appointment confirmed",
        pushBody: "{typeName} at {clinicName}, {short}",
      },
      pending: {
        subject: "Action needed: questionnaire for your {typeName} appointment",
        body: [
          "We are holding {when} for your {typeName} appointment{withDoctor} at {clinicName}.",
          "Before we can confirm it, please answer the pre-screening questionnaire in Carebook by {answerBy}. If we do not hear from you by then, the time is released.",
        ],
        sms: "{clinicName}: we are holding {short} for your {typeName}. Please answer the questionnaire in Carebook by {answerByShort}.",
        pushTitle: "Please answer the questionnaire",
        pushBody: "{typeName}, {short}: answer by {answerByShort}",
      },
      reminder: {
        subject: "Reminder: {typeName}, {short}",
        body: [
          "This is a reminder of your {typeName} appointment{withDoctor} at {clinicName} on {when}.",
          ADDRESS_LINE.en,
          "If you cannot come, please cancel in Carebook so that someone else can have the time.",
        ],
        sms: "{clinicName}: reminder of your {typeName} appointment, {short}.",
        pushTitle: "Appointment reminder",
        pushBody: "{typeName} at {clinicName}, {short}",
      },
      rescheduled: {
        subject: "Appointment moved: {typeName}, now {short}",
        body: [
          "Your {typeName} appointment at {clinicName} has moved from {previousAt} to {when}{withDoctor}.",
          ADDRESS_LINE.en,
        ],
        sms: "{clinicName}: your {typeName} appointment has moved from {previousShort} to {short}.",
        pushTitle: "Appointment moved",
        pushBody: "{typeName}: now {short}",
      },
      cancelled: {
        subject: "Appointment cancelled: {typeName}, {short}",
        body: [
          "Your {typeName} appointment at {clinicName} on {when} has been cancelled.",
          "{reasonText}",
          "You can book a new appointment in Carebook at any time.",
        ],
        sms: "{clinicName}: your {typeName} appointment on {short} is cancelled. {reasonText}",
        pushTitle: "Appointment cancelled",
        pushBody: "{typeName}, {short}",
      },
      "call-patient": {
        subject: "A nurse will call you about your {typeName} appointment",
        body: [
          "Thank you for answering the questionnaire for your {typeName} appointment on {when}.",
          "A nurse from {clinicName} will call you to talk it through before the appointment is confirmed. Please keep your phone nearby.",
        ],
        sms: "{clinicName}: a nurse will call you about your {typeName} appointment on {short}. Please keep your phone nearby.",
        pushTitle: "A nurse will call you",
        pushBody: "About your {typeName} appointment, {short}",
      },
      emergency: {
        subject: "Important message from {clinicName}",
        body: ["{message}", "This concerns your {typeName} appointment on {when}."],
        sms: "{clinicName}: {message}",
        pushTitle: "{clinicName}",
        pushBody: "{message}",
      },
      // The reason (leave, changed hours, left the clinic) is the doctor's business: never told.
      reassigned: {
        subject: "Appointment update: {typeName}, {short}, now with {doctorName}",
        body: [
          "Your {typeName} appointment on {when} at {clinicName} is now with {doctorName} (your doctor is not available then); the time and place are unchanged.",
          ADDRESS_LINE.en,
          "If you would rather come at another time, you can reschedule or cancel in Carebook.",
        ],
        sms: "{clinicName}: your {typeName} appointment on {short} is now with {doctorName}. Time and place are unchanged.",
        pushTitle: "New doctor for your appointment",
        pushBody: "{typeName}, {short}: now with {doctorName}",
      },
      "reschedule-needed": {
        subject: "Please choose a new time: {typeName}, {short}",
        body: [
          "Your doctor can no longer see you on {when} for your {typeName} appointment at {clinicName}. Please choose another time.",
          "{offersText}",
          "Your appointment stands until you choose a new time or cancel it; nothing has been cancelled.",
          PHONE_LINE.en,
        ],
        sms: "{clinicName}: your doctor can no longer see you on {short}. {offersSms} Your appointment stands until then.",
        pushTitle: "Please choose a new time",
        pushBody: "{typeName}, {short}: your doctor can no longer see you then",
      },
    },
    staff: {
      greeting: "Hello {staffName},",
      signOff: "This is an automatic message from Carebook. It names no patient: the queue shows the details.",
      kinds: {
        "prescreening-escalated": {
          subject: "Pre-screening overdue: {typeName}, {short}, {clinicName}",
          body: [
            "A pre-screening at {clinicName} has waited for a decision past the nurses' time limit ({slaDueAt}).",
            "Appointment: {typeName}, {when}.",
            "If nobody decides by {decideBy}, the held time is released and the patient is told that the clinic could not review the questionnaire in time.",
            "Open the pre-screening queue in Carebook: {queuePath}",
          ],
          sms: "Carebook: pre-screening overdue at {clinicName} ({typeName}, {short}). Decide by {decideByShort}: {queuePath}",
          pushTitle: "Pre-screening overdue",
          pushBody: "{clinicName}: {typeName}, {short}. Decide by {decideByShort}",
        },
      },
    },
  },
  de: {
    locale: "de-DE",
    formats: {
      date: "cccc, d. LLLL yyyy",
      shortDate: "ccc d. LLL",
      time: "HH:mm",
      zone: "ZZZZ",
      when: "{date}, {from}–{to} Uhr ({zone})",
      at: "{date}, {from} Uhr ({zone})",
      short: "{shortDate}, {from} Uhr ({zone})",
    },
    greeting: "Guten Tag {patientName},",
    signOff: "Mit freundlichen Grüßen\n{clinicName}",
    withDoctor: " mit {doctorName}",
    reasons: {
      "patient-cancelled": "Sie haben diesen Termin abgesagt.",
      "prescreening-rejected":
        "Nach Prüfung Ihres Fragebogens kann die Praxis Ihnen diesen Termin leider nicht anbieten. Bitte wenden Sie sich an die Praxis, um andere Möglichkeiten zu besprechen.",
      "prescreening-timeout": "Ihre Antworten zum Fragebogen sind nicht rechtzeitig eingegangen, daher wurde die reservierte Zeit freigegeben.",
      "decision-overdue": "Die Praxis konnte Ihren Fragebogen nicht rechtzeitig prüfen. Das tut uns leid; bitte buchen Sie erneut oder wenden Sie sich an die Praxis.",
      "hold-expired": "Die Reservierung ist abgelaufen, bevor der Termin bestätigt werden konnte.",
    },
    genericReason: "Bei Fragen wenden Sie sich bitte an die Praxis.",
    offers: {
      list: "Diese Zeiten sind frei:\n{offerList}\nSie können eine davon in Carebook buchen oder eine andere Zeit wählen.",
      item: "• {when}",
      none: "In der Nähe ist leider keine Zeit frei; bitte wählen Sie in Carebook eine Zeit oder rufen Sie die Praxis an.",
      sms: "Freie Zeiten: {offerList}. Bitte in Carebook wählen.",
      smsItem: "{short}",
      smsNone: "Keine Zeit in der Nähe frei: bitte in Carebook eine Zeit wählen oder die Praxis anrufen.",
    },
    kinds: {
      confirmation: {
        subject: "Termin bestätigt: {typeName}, {short}",
        body: [
          "Ihr Termin ({typeName}){withDoctor} bei {clinicName} ist bestätigt für {when}.",
          ADDRESS_LINE.de,
          "Falls Sie nicht kommen können, sagen Sie den Termin bitte in Carebook ab, damit jemand anderes die Zeit nutzen kann.",
        ],
        sms: "{clinicName}: Ihr Termin ({typeName}) ist bestätigt für {short}.",
        pushTitle: "Termin bestätigt",
        pushBody: "{typeName}, {clinicName}, {short}",
      },
      pending: {
        subject: "Bitte beantworten Sie den Fragebogen zu Ihrem Termin ({typeName})",
        body: [
          "Für Ihren Termin ({typeName}){withDoctor} bei {clinicName} halten wir {when} frei.",
          "Bevor wir ihn bestätigen können, beantworten Sie bitte bis {answerBy} den Fragebogen in Carebook. Erhalten wir bis dahin keine Antworten, wird die Zeit wieder freigegeben.",
        ],
        sms: "{clinicName}: Wir halten {short} für Ihren Termin ({typeName}) frei. Bitte beantworten Sie den Fragebogen in Carebook bis {answerByShort}.",
        pushTitle: "Bitte Fragebogen beantworten",
        pushBody: "{typeName}, {short}: Antwort bis {answerByShort}",
      },
      reminder: {
        subject: "Erinnerung: {typeName}, {short}",
        body: [
          "Wir erinnern Sie an Ihren Termin ({typeName}){withDoctor} bei {clinicName} am {when}.",
          ADDRESS_LINE.de,
          "Falls Sie nicht kommen können, sagen Sie den Termin bitte in Carebook ab, damit jemand anderes die Zeit nutzen kann.",
        ],
        sms: "{clinicName}: Erinnerung an Ihren Termin ({typeName}), {short}.",
        pushTitle: "Terminerinnerung",
        pushBody: "{typeName}, {clinicName}, {short}",
      },
      rescheduled: {
        subject: "Termin verschoben: {typeName}, jetzt {short}",
        body: [
          "Ihr Termin ({typeName}) bei {clinicName} wurde von {previousAt} auf {when}{withDoctor} verschoben.",
          ADDRESS_LINE.de,
        ],
        sms: "{clinicName}: Ihr Termin ({typeName}) wurde von {previousShort} auf {short} verschoben.",
        pushTitle: "Termin verschoben",
        pushBody: "{typeName}: jetzt {short}",
      },
      cancelled: {
        subject: "Termin abgesagt: {typeName}, {short}",
        body: [
          "Ihr Termin ({typeName}) bei {clinicName} am {when} wurde abgesagt.",
          "{reasonText}",
          "Sie können jederzeit in Carebook einen neuen Termin buchen.",
        ],
        sms: "{clinicName}: Ihr Termin ({typeName}) am {short} wurde abgesagt. {reasonText}",
        pushTitle: "Termin abgesagt",
        pushBody: "{typeName}, {short}",
      },
      "call-patient": {
        subject: "Eine Pflegekraft ruft Sie zu Ihrem Termin ({typeName}) an",
        body: [
          "Vielen Dank, dass Sie den Fragebogen zu Ihrem Termin ({typeName}) am {when} beantwortet haben.",
          "Eine Pflegekraft von {clinicName} wird Sie anrufen, um ihn mit Ihnen zu besprechen, bevor der Termin bestätigt wird. Bitte halten Sie Ihr Telefon bereit.",
        ],
        sms: "{clinicName}: Eine Pflegekraft ruft Sie zu Ihrem Termin ({typeName}) am {short} an. Bitte halten Sie Ihr Telefon bereit.",
        pushTitle: "Eine Pflegekraft ruft Sie an",
        pushBody: "Zu Ihrem Termin ({typeName}), {short}",
      },
      emergency: {
        subject: "Wichtige Nachricht von {clinicName}",
        body: ["{message}", "Dies betrifft Ihren Termin ({typeName}) am {when}."],
        sms: "{clinicName}: {message}",
        pushTitle: "{clinicName}",
        pushBody: "{message}",
      },
      reassigned: {
        subject: "Terminänderung: {typeName}, {short}, jetzt bei {doctorName}",
        body: [
          "Ihr Termin ({typeName}) am {when} bei {clinicName} findet jetzt bei {doctorName} statt (Ihre Ärztin bzw. Ihr Arzt ist zu dieser Zeit nicht verfügbar); Uhrzeit und Ort bleiben unverändert.",
          ADDRESS_LINE.de,
          "Wenn Sie lieber zu einer anderen Zeit kommen möchten, können Sie den Termin in Carebook verschieben oder absagen.",
        ],
        sms: "{clinicName}: Ihr Termin ({typeName}) am {short} findet jetzt bei {doctorName} statt. Uhrzeit und Ort bleiben unverändert.",
        pushTitle: "Neue Ärztin bzw. neuer Arzt für Ihren Termin",
        pushBody: "{typeName}, {short}: jetzt bei {doctorName}",
      },
      "reschedule-needed": {
        subject: "Bitte wählen Sie eine neue Zeit: {typeName}, {short}",
        body: [
          "Leider kann Ihre Ärztin bzw. Ihr Arzt Sie am {when} nicht mehr behandeln (Ihr Termin: {typeName} bei {clinicName}). Bitte wählen Sie eine andere Zeit.",
          "{offersText}",
          "Ihr Termin bleibt bestehen, bis Sie eine neue Zeit wählen oder ihn absagen; es wurde nichts abgesagt.",
          PHONE_LINE.de,
        ],
        sms: "{clinicName}: Ihre Ärztin bzw. Ihr Arzt kann Sie am {short} nicht mehr behandeln. {offersSms} Bis dahin bleibt Ihr Termin bestehen.",
        pushTitle: "Bitte neue Zeit wählen",
        pushBody: "{typeName}, {short}: Ihre Ärztin bzw. Ihr Arzt ist nicht verfügbar",
      },
    },
    staff: {
      greeting: "Hallo {staffName},",
      signOff: "Dies ist eine automatische Nachricht von Carebook. Sie nennt keine Patientin und keinen Patienten: Die Einzelheiten stehen in der Warteliste.",
      kinds: {
        "prescreening-escalated": {
          subject: "Vorabprüfung überfällig: {typeName}, {short}, {clinicName}",
          body: [
            "Eine Vorabprüfung bei {clinicName} wartet über die Frist der Pflege ({slaDueAt}) hinaus auf eine Entscheidung.",
            "Termin: {typeName}, {when}.",
            "Entscheidet bis {decideBy} niemand, wird die reservierte Zeit freigegeben und die Patientin bzw. der Patient erfährt, dass die Praxis den Fragebogen nicht rechtzeitig prüfen konnte.",
            "Zur Warteliste der Vorabprüfungen in Carebook: {queuePath}",
          ],
          sms: "Carebook: Vorabprüfung überfällig bei {clinicName} ({typeName}, {short}). Entscheidung bis {decideByShort}: {queuePath}",
          pushTitle: "Vorabprüfung überfällig",
          pushBody: "{clinicName}: {typeName}, {short}. Entscheidung bis {decideByShort}",
        },
      },
    },
  },
};

/** An SMS of up to two segments. Longer texts (a long clinic message) are cut, not split further. */
export const SMS_MAX_CHARS = 320;

/** Values a template may leave out: a paragraph naming one of them is dropped when it is absent. */
const OPTIONAL = new Set(["clinicAddress", "clinicPhone"]);
/** Which context field a derived value needs, for the error message. */
const NEEDS: Record<string, keyof TemplateContext> = {
  previousAt: "previousStart",
  previousShort: "previousStart",
  answerBy: "answerBy",
  answerByShort: "answerBy",
  message: "message",
  doctorName: "doctorName",
  offersText: "offers",
  offersSms: "offers",
};

type Vars = Record<string, string | undefined>;

const PLACEHOLDER = /\{(\w+)\}/g;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const names = (template: string) => [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);

/** Substitutes in one pass; `encode` applies to the template's literal text and to the values alike. */
function fill(template: string, vars: Vars, encode: (s: string) => string = (s) => s): string {
  let out = "";
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    const value = vars[name];
    if (value === undefined) {
      throw new Error(`template value {${name}} is missing${NEEDS[name] ? ` (context field ${NEEDS[name]})` : ""}`);
    }
    out += encode(template.slice(last, m.index)) + encode(value);
    last = m.index! + m[0].length;
  }
  return out + encode(template.slice(last));
}

function instant(iso: string, field: string, timeZone: string, locale: string): DateTime {
  const dt = DateTime.fromISO(iso, { zone: timeZone, locale });
  if (!dt.isValid) throw new RangeError(`${field}: cannot show ${iso} in ${timeZone}: ${dt.invalidExplanation ?? dt.invalidReason}`);
  return dt;
}

function dateVars(pack: LanguagePack, dt: DateTime, end?: DateTime) {
  const f = pack.formats;
  const parts = {
    date: dt.toFormat(f.date),
    shortDate: dt.toFormat(f.shortDate),
    from: dt.toFormat(f.time),
    to: (end ?? dt).toFormat(f.time),
    zone: dt.toFormat(f.zone),
  };
  return { when: fill(f.when, parts), at: fill(f.at, parts), short: fill(f.short, parts) };
}

/** Codes the workflows write (prescreening.asl.json) that mean the same as a documented one. */
const REASON_ALIASES: Record<string, string> = {
  "prescreening-not-answered": "prescreening-timeout",
  "prescreening-not-decided": "decision-overdue",
};

/** The sentence telling the patient why, for a reason code; never the raw code: it may be an
 * internal name or the patient's own free text. */
export function reasonText(language: Language, reason: string | undefined): string {
  const pack = templates[language];
  const code = reason && Object.hasOwn(REASON_ALIASES, reason) ? REASON_ALIASES[reason]! : reason;
  return (code && Object.hasOwn(pack.reasons, code) ? pack.reasons[code] : undefined) ?? pack.genericReason;
}

/** The offered times, one a line, each on the clinic's wall clock like the appointment itself. */
function offersText(pack: LanguagePack, offers: Array<ReturnType<typeof dateVars>>): string {
  if (offers.length === 0) return pack.offers.none;
  return fill(pack.offers.list, { offerList: offers.map((o) => fill(pack.offers.item, o)).join("\n") });
}

function contextVars(pack: LanguagePack, language: Language, ctx: TemplateContext): Vars {
  const zone = ctx.timeZone;
  const start = instant(ctx.start, "start", zone, pack.locale);
  const main = dateVars(pack, start, instant(ctx.end, "end", zone, pack.locale));
  const previous = ctx.previousStart ? dateVars(pack, instant(ctx.previousStart, "previousStart", zone, pack.locale)) : undefined;
  const answerBy = ctx.answerBy ? dateVars(pack, instant(ctx.answerBy, "answerBy", zone, pack.locale)) : undefined;
  const offers = ctx.offers?.map((o, i) =>
    dateVars(pack, instant(o.start, `offers[${i}].start`, zone, pack.locale), instant(o.end, `offers[${i}].end`, zone, pack.locale)),
  );
  return {
    patientName: ctx.patientName,
    clinicName: ctx.clinicName,
    clinicAddress: ctx.clinicAddress || undefined,
    clinicPhone: ctx.clinicPhone || undefined,
    typeName: ctx.typeName,
    doctorName: ctx.doctorName,
    withDoctor: ctx.doctorName ? fill(pack.withDoctor, { doctorName: ctx.doctorName }) : "",
    when: main.when,
    short: main.short,
    previousAt: previous?.at,
    previousShort: previous?.short,
    answerBy: answerBy?.at,
    answerByShort: answerBy?.short,
    reasonText: reasonText(language, ctx.reason),
    message: ctx.message,
    offersText: offers && offersText(pack, offers),
    offersSms: offers && (offers.length ? fill(pack.offers.sms, { offerList: offers.map((o) => fill(pack.offers.smsItem, o)).join("; ") }) : pack.offers.smsNone),
  };
}

function truncate(text: string, max: number): string {
  // "..." rather than "…": the ellipsis is not in the GSM-7 alphabet and would halve the SMS length.
  return text.length <= max ? text : `${text.slice(0, max - 3).trimEnd()}...`;
}

const wanted = (paragraph: string, vars: Vars) => names(paragraph).every((n) => !OPTIONAL.has(n) || vars[n] !== undefined);

/** Renders one message kind in one language for every channel. Throws when a value the kind
 * needs is missing (e.g. `previousStart` for "rescheduled"): a programming error, not a fallback. */
export function render(kind: MessageKind, language: Language, ctx: TemplateContext): RenderedMessage {
  const pack = templates[language];
  return compose(language, { greeting: pack.greeting, template: pack.kinds[kind], signOff: pack.signOff }, contextVars(pack, language, ctx));
}

/** Renders a staff alert (one kind, one language) for every channel; throws like `render`. */
export function renderStaffAlert(kind: StaffMessageKind, language: Language, ctx: StaffAlertContext): RenderedMessage {
  const pack = templates[language];
  const zone = ctx.timeZone;
  const main = dateVars(pack, instant(ctx.start, "start", zone, pack.locale), instant(ctx.end, "end", zone, pack.locale));
  const decideBy = dateVars(pack, instant(ctx.decideBy, "decideBy", zone, pack.locale));
  const vars: Vars = {
    staffName: ctx.staffName,
    clinicName: ctx.clinicName,
    typeName: ctx.typeName,
    when: main.when,
    short: main.short,
    slaDueAt: dateVars(pack, instant(ctx.slaDueAt, "slaDueAt", zone, pack.locale)).at,
    decideBy: decideBy.at,
    decideByShort: decideBy.short,
    queuePath: ctx.queuePath,
  };
  return compose(language, { greeting: pack.staff.greeting, template: pack.staff.kinds[kind], signOff: pack.staff.signOff }, vars);
}

function compose(language: Language, parts: { greeting: string; template: KindTemplate; signOff: string }, vars: Vars): RenderedMessage {
  const t = parts.template;
  const paragraphs = [parts.greeting, ...t.body.filter((p) => wanted(p, vars)), parts.signOff];
  const html = paragraphs.map((p) => `<p>${fill(p, vars, escapeHtml).replace(/\r?\n/g, "<br>")}</p>`).join("\n");
  return {
    subject: fill(t.subject, vars),
    text: paragraphs.map((p) => fill(p, vars)).join("\n\n"),
    html: `<!doctype html>\n<html lang="${language}"><head><meta charset="utf-8"></head><body>\n${html}\n</body></html>`,
    sms: truncate(fill(t.sms, vars), SMS_MAX_CHARS),
    push: { title: truncate(fill(t.pushTitle, vars), 100), body: truncate(fill(t.pushBody, vars), 240) },
  };
}
