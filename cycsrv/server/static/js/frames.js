// Tables as they arrive in `table_data` replies, in any pandas orient, turned into one shape:
// {columns: [...], index: [...], rows: [[...], ...]}.

export const ORIENTS = ["split", "records", "index", "columns", "values", "table"];

/** The reply's data as a JSON value: the server may embed it or send it as JSON text. */
export function replyData(data) {
  if (typeof data === "string") {
    const trimmed = data.trim();
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
      try {
        return JSON.parse(trimmed);
      } catch {
        return data;
      }
    }
  }
  return data;
}

/** A table in orient `orient` as {columns, index, rows}; throws when the shape does not fit. */
export function toFrame(data, orient = "split") {
  data = replyData(data);
  if (typeof data === "string") throw new Error(data);
  switch (orient) {
    case "split":
      return { columns: data.columns, index: data.index ?? data.data.map((_, i) => i), rows: data.data };
    case "records": {
      const columns = data.length ? Object.keys(data[0]) : [];
      return { columns, index: data.map((_, i) => i), rows: data.map((r) => columns.map((c) => r[c])) };
    }
    case "index": {
      const index = Object.keys(data);
      const columns = index.length ? Object.keys(data[index[0]]) : [];
      return { columns, index, rows: index.map((i) => columns.map((c) => data[i][c])) };
    }
    case "columns": {
      const columns = Object.keys(data);
      const index = columns.length ? Object.keys(data[columns[0]]) : [];
      return { columns, index, rows: index.map((i) => columns.map((c) => data[c][i])) };
    }
    case "values": {
      const width = data.length ? data[0].length : 0;
      return { columns: Array.from({ length: width }, (_, i) => String(i)), index: data.map((_, i) => i), rows: data };
    }
    case "table": {
      const names = data.schema.fields.map((f) => f.name);
      const key = data.schema.primaryKey?.[0];
      const columns = names.filter((n) => n !== key);
      return {
        columns,
        index: data.data.map((r, i) => (key ? r[key] : i)),
        rows: data.data.map((r) => columns.map((c) => r[c])),
      };
    }
    default:
      throw new Error(`unknown orient ${orient}`);
  }
}

/** Rows of a frame as objects keyed by column name. */
export function records(frame) {
  return frame.rows.map((row) => Object.fromEntries(frame.columns.map((c, i) => [c, row[i]])));
}
