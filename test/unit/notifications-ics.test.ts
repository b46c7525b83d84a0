import ICAL from "ical.js";
import { describe, expect, it } from "vitest";
import { appointmentIcs, type AppointmentIcsInput } from "@carebook/core/notifications/ics";

const input: AppointmentIcsInput = {
  uid: "a-1@carebook",
  sequence: 3,
  method: "REQUEST",
  start: "2027-03-29T09:00:00Z",
  end: "2027-03-29T09:30:00Z",
  summary: "Vaccination; Praxis Mitte, Berlin",
  description: "With Dr Lena Vogel.\nPlease bring your vaccination card.",
  location: "Invalidenstraße 1, 10115 Berlin",
  organizerEmail: "appointments@carebook.example",
  url: "https://carebook.example/appointments/a-1",
  stamp: Date.parse("2027-03-01T12:00:00Z"),
};

function parse(ics: string) {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const vevent = calendar.getFirstSubcomponent("vevent")!;
  return { calendar, vevent, event: new ICAL.Event(vevent) };
}

describe("appointment calendar invitation", () => {
  it("describes the appointment as a confirmed REQUEST at the right instants", () => {
    const ics = appointmentIcs(input);
    const { calendar, vevent, event } = parse(ics);
    expect(calendar.getFirstPropertyValue("method")).toBe("REQUEST");
    expect(event.uid).toBe("a-1@carebook");
    expect(event.sequence).toBe(3);
    expect(event.startDate.toJSDate().toISOString()).toBe("2027-03-29T09:00:00.000Z");
    expect(event.endDate.toJSDate().toISOString()).toBe("2027-03-29T09:30:00.000Z");
    expect(event.startDate.zone?.tzid).toBe("UTC");
    expect(vevent.getFirstPropertyValue("status")).toBe("CONFIRMED");
    expect(event.summary).toBe(input.summary);
    expect(event.description).toBe(input.description);
    expect(event.location).toBe(input.location);
    expect(String(vevent.getFirstPropertyValue("organizer"))).toMatch(/^mailto:appointments@carebook\.example$/i);
    expect(String(vevent.getFirstPropertyValue("dtstamp"))).toBe("2027-03-01T12:00:00Z");
    // RFC 5545 lines end in CRLF.
    expect(ics).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(ics.split("\n").every((line) => line === "" || line.endsWith("\r"))).toBe(true);
  });

  it("cancels with the same UID, a higher SEQUENCE and STATUS:CANCELLED", () => {
    const { calendar, vevent, event } = parse(appointmentIcs({ ...input, method: "CANCEL", sequence: 4 }));
    expect(calendar.getFirstPropertyValue("method")).toBe("CANCEL");
    expect(vevent.getFirstPropertyValue("status")).toBe("CANCELLED");
    expect(event.uid).toBe("a-1@carebook");
    expect(event.sequence).toBe(4);
  });

  it("leaves out optional fields and rejects times that are not instants", () => {
    const { location: _l, organizerEmail: _o, url: _u, ...minimal } = input;
    const { vevent } = parse(appointmentIcs(minimal));
    expect(vevent.getFirstPropertyValue("location")).toBeNull();
    expect(vevent.getFirstPropertyValue("organizer")).toBeNull();
    expect(() => appointmentIcs({ ...input, start: "next Monday" })).toThrow(/start/);
  });
});
