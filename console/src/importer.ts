// CSV import of contacts from the browser. The API's own ImportContacts is client-streaming, which grpc-web
// cannot carry, so the console parses the file here and writes row by row with the unary RPCs, following
// the server's import rules: a header row; columns external_id, phone_number (required), first_name,
// last_name, email, tags (';'-separated), time_zone; any other column goes into metadata; rows are upserted
// by external_id (rows without one are created); a bad row is reported and skipped, good rows are kept.
import { api, problem } from "./api";
import type { Contact } from "./gen/switchboard/v1/contacts_pb";
import type { JsonObject } from "@bufbuild/protobuf";

export interface CsvRecord {
  line: number;
  cells: string[];
}

/** RFC 4180 CSV: quoted cells may hold commas, quotes ("") and line breaks. Blank lines are skipped. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  let touched = false;
  const endCell = () => {
    cells.push(cell.trim());
    cell = "";
  };
  const endRecord = () => {
    endCell();
    if (touched || cells.some((c) => c !== "")) records.push({ line: start, cells });
    cells = [];
    touched = false;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === "\n") line++;
        cell += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      touched = true;
    } else if (ch === ",") {
      endCell();
      touched = true;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      start = line;
    } else {
      cell += ch;
    }
  }
  if (cell !== "" || cells.length > 0 || touched) endRecord();
  return records;
}

export interface RowError {
  line: number;
  field: string;
  reason: string;
}

export interface ImportProgress {
  total: number;
  done: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  errors: RowError[];
}

const KNOWN = new Set(["id", "external_id", "phone_number", "first_name", "last_name", "email", "tags", "time_zone"]);

export async function importContacts(
  csv: string,
  listId: string,
  defaultRegion: string,
  onProgress: (p: ImportProgress) => void,
): Promise<ImportProgress> {
  const records = parseCsv(csv.replace(/^\uFEFF/, ""));
  if (records.length === 0) throw new Error("the file is empty");
  const header = records[0].cells.map((h) => h.trim().toLowerCase());
  if (!header.includes("phone_number")) throw new Error(`the CSV header must name a phone_number column; found ${header.join(", ")}`);
  const rows = records.slice(1);
  const p: ImportProgress = { total: rows.length, done: 0, created: 0, updated: 0, unchanged: 0, failed: 0, errors: [] };
  onProgress({ ...p });

  const byExternalId = new Map<string, Contact>();
  if (header.includes("external_id")) {
    let pageToken = "";
    do {
      const page = await api.contacts.listContacts({ pageSize: 1000, pageToken });
      page.contacts.forEach((c) => c.externalId && byExternalId.set(c.externalId, c));
      pageToken = page.nextPageToken;
    } while (pageToken);
  }

  const seen = new Map<string, number>();
  const fail = (line: number, field: string, reason: string) => p.errors.length < 1000 && p.errors.push({ line, field, reason });

  const one = async (rec: CsvRecord) => {
    if (rec.cells.length !== header.length) {
      p.failed++;
      fail(rec.line, "", `has ${rec.cells.length} cells; the header has ${header.length}`);
      return;
    }
    const cell = (name: string) => rec.cells[header.indexOf(name)] ?? "";
    const metadata: JsonObject = {};
    header.forEach((h, i) => {
      if (!KNOWN.has(h) && rec.cells[i] !== "") metadata[h] = rec.cells[i];
    });
    const externalId = cell("external_id");
    const key = externalId ? "x:" + externalId : "p:" + cell("phone_number");
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      p.failed++;
      fail(rec.line, externalId ? "external_id" : "phone_number", `repeats line ${earlier} of this file; the first one was kept`);
      return;
    }
    seen.set(key, rec.line);
    const contact = {
      externalId,
      phoneNumber: cell("phone_number"),
      firstName: cell("first_name"),
      lastName: cell("last_name"),
      email: cell("email"),
      tags: cell("tags").split(";").map((t) => t.trim()).filter(Boolean),
      timeZone: cell("time_zone"),
      metadata,
    };
    const existing = externalId ? byExternalId.get(externalId) : undefined;
    try {
      if (!existing) {
        await api.contacts.createContact({ contact: { ...contact, listIds: listId ? [listId] : [] }, defaultRegion });
        p.created++;
      } else {
        const lists = listId && !existing.listIds.includes(listId) ? [...existing.listIds, listId] : existing.listIds;
        if (lists === existing.listIds && same(existing, contact, header)) {
          p.unchanged++;
        } else {
          const paths = ["phone_number", ...header.filter((h) => KNOWN.has(h) && h !== "id" && h !== "phone_number"), "metadata", "list_ids"];
          await api.contacts.updateContact({ contact: { ...contact, id: existing.id, listIds: lists }, updateMask: { paths }, defaultRegion });
          p.updated++;
        }
      }
    } catch (e) {
      const pr = problem(e);
      p.failed++;
      if (pr.fields.length === 0) fail(rec.line, "", pr.message);
      pr.fields.forEach((f) => fail(rec.line, f.field.replace(/^contact\./, ""), f.description));
    }
  };

  // A few requests in flight: fast enough for files of thousands of rows, gentle on the key's rate limit.
  let next = 0;
  const worker = async () => {
    while (next < rows.length) {
      const rec = rows[next++];
      await one(rec);
      p.done++;
      onProgress({ ...p, errors: [...p.errors] });
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  p.errors.sort((a, b) => a.line - b.line);
  onProgress({ ...p });
  return p;
}

/** Whether a row would change nothing of the stored contact (numbers compared in E.164 form). */
function same(c: Contact, row: { phoneNumber: string; firstName: string; lastName: string; email: string; tags: string[]; timeZone: string; metadata: JsonObject }, header: string[]): boolean {
  const sorted = (o: JsonObject | undefined) => JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  const has = (h: string) => header.includes(h);
  return c.phoneNumber === row.phoneNumber
    && (!has("first_name") || c.firstName === row.firstName)
    && (!has("last_name") || c.lastName === row.lastName)
    && (!has("email") || c.email === row.email)
    && (!has("tags") || c.tags.join(";") === row.tags.join(";"))
    && (!has("time_zone") || !row.timeZone || c.timeZone === row.timeZone)
    && sorted(c.metadata) === sorted(row.metadata);
}
