import { describe, expect, it } from "vitest";
import { dateOf, isTimeZone } from "../../src/server/import/csv/mapping";

// A CSV import's dates in a time zone (decision 062): wall times read in the mapping's IANA zone
// from Intl's data, offsets kept, gaps refused, the first of a repeated hour taken.

const at = (dateFormat: Parameters<typeof dateOf>[0]["dateFormat"], timeZone: string, cell: string) => {
  const t = dateOf({ dateFormat, timeZone }, cell);
  return t instanceof Date ? t.toISOString() : t.bad;
};

describe("dateOf with a time zone", () => {
  it("reads wall times in zones with odd offsets and southern-hemisphere summers", () => {
    expect(at("iso", "Asia/Kathmandu", "2024-03-01 12:00")).toBe("2024-03-01T06:15:00.000Z");
    expect(at("iso", "Asia/Kolkata", "2024-03-01")).toBe("2024-02-29T18:30:00.000Z");
    // Sydney: summer (+11) in January, winter (+10) in July.
    expect(at("DD/MM/YYYY", "Australia/Sydney", "15/01/2024 09:00")).toBe("2024-01-14T22:00:00.000Z");
    expect(at("DD/MM/YYYY", "Australia/Sydney", "15/07/2024 09:00")).toBe("2024-07-14T23:00:00.000Z");
    // Lord Howe moves its clocks by 30 minutes.
    expect(at("iso", "Australia/Lord_Howe", "2024-01-15T09:00")).toBe("2024-01-14T22:00:00.000Z");
    expect(at("iso", "Australia/Lord_Howe", "2024-07-15T09:00")).toBe("2024-07-14T22:30:00.000Z");
    expect(at("MM/DD/YYYY", "UTC", "12/31/2024 23:59:59")).toBe("2024-12-31T23:59:59.000Z");
    expect(at("iso", "Europe/Berlin", "2024-01-15T09:00:00.250")).toBe("2024-01-15T08:00:00.250Z");
  });

  it("refuses the hour a zone skips and takes the first of the hour it repeats", () => {
    expect(at("iso", "America/New_York", "2024-03-10 02:30")).toBe(
      "does not exist in America/New_York (the clocks skip it)",
    );
    expect(at("iso", "America/New_York", "2024-03-10 03:00")).toBe("2024-03-10T07:00:00.000Z");
    expect(at("iso", "America/New_York", "2024-11-03 01:30")).toBe("2024-11-03T05:30:00.000Z");
    expect(at("iso", "America/New_York", "2024-11-03 02:00")).toBe("2024-11-03T07:00:00.000Z");
    expect(at("iso", "Australia/Lord_Howe", "2024-10-06 02:15")).toBe(
      "does not exist in Australia/Lord_Howe (the clocks skip it)",
    );
  });

  it("keeps an offset whatever the zone, and refuses what is not a date", () => {
    expect(at("iso", "Asia/Tokyo", "2024-07-01T09:00:00Z")).toBe("2024-07-01T09:00:00.000Z");
    expect(at("iso", "Asia/Tokyo", "2024-07-01T09:00:00+02")).toBe("2024-07-01T07:00:00.000Z");
    expect(at("iso", "Asia/Tokyo", "2024-07-01 09:00 -05:00")).toBe("2024-07-01T14:00:00.000Z");
    for (const bad of [
      "2024-02-30 10:00",
      "2024-07-01T25:00",
      "2024-07-01Z",
      "2024-07-01T09:00 tomorrow",
      "1969-12-31",
    ])
      expect(at("iso", "UTC", bad), bad).toBe("is not a iso date");
    expect(at("DD.MM.YYYY", "Europe/Berlin", "31.02.2024")).toBe("is not a DD.MM.YYYY date");
  });

  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("Europe/Berlin")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Mars/Olympus_Mons")).toBe(false);
  });
});
