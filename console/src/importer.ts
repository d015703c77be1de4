// CSV import of contacts from the browser. The API's ImportContacts is client-streaming, which grpc-web cannot
// carry, so the console parses the file here and sends it in chunks of parsed rows through the unary
// ImportContactRows: the server checks and upserts each chunk as it does a streamed file (header row; columns
// external_id, phone_number (required), first_name, last_name, email, tags (';'-separated), time_zone; any other
// column into metadata; upsert by external_id, else by phone number), reports bad rows with their line and field,
// and keeps the good ones. A chunk sent again changes nothing, so a retried request is harmless.
import { api, problem } from "./api";

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

/** Rows per ImportContactRows request (the server takes at most 1000). */
export const CHUNK_ROWS = 500;
const MAX_ERRORS = 1000;

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
  const fail = (line: number, field: string, reason: string) => p.errors.length < MAX_ERRORS && p.errors.push({ line, field, reason });

  // The server refuses a repeated row within a chunk; across chunks a repeated external_id would silently update the
  // first, so it is refused here as the file import would.
  const idColumn = header.indexOf("external_id");
  const seen = new Map<string, number>();
  for (let at = 0; at < rows.length; at += CHUNK_ROWS) {
    const chunk = rows.slice(at, at + CHUNK_ROWS).filter((rec) => {
      const id = idColumn >= 0 ? (rec.cells[idColumn] ?? "").trim() : "";
      if (!id) return true;
      const earlier = seen.get(id);
      if (earlier === undefined) {
        seen.set(id, rec.line);
        return true;
      }
      p.failed++;
      fail(rec.line, "external_id", `repeats line ${earlier} of this file; the first one was kept`);
      return false;
    });
    try {
      const r = await api.contacts.importContactRows({
        options: { listId, defaultRegion },
        header: records[0].cells,
        rows: chunk.map((rec) => ({ line: BigInt(rec.line), cells: rec.cells })),
      });
      p.created += Number(r.created);
      p.updated += Number(r.updated);
      p.unchanged += Number(r.unchanged);
      p.failed += Number(r.failed);
      r.errors.forEach((e) => fail(Number(e.line), e.field, e.reason));
    } catch (e) {
      // the whole chunk was refused (a bad list or region, a lost connection): every row of it is reported
      const pr = problem(e);
      const why = pr.fields.length ? pr.fields.map((f) => `${f.field}: ${f.description}`).join("; ") : pr.message;
      const wholeFile = pr.fields.some((f) => f.field.startsWith("options.") || f.field === "header");
      if (wholeFile || pr.code === "NOT_FOUND" || pr.code === "PERMISSION_DENIED" || pr.code === "UNAUTHENTICATED") throw e;
      p.failed += chunk.length;
      chunk.forEach((rec) => fail(rec.line, "", why));
    }
    p.done = Math.min(rows.length, at + CHUNK_ROWS);
    onProgress({ ...p, errors: [...p.errors] });
  }
  p.errors.sort((a, b) => a.line - b.line);
  onProgress({ ...p });
  return p;
}
