// Beam SQL: queries over PCollections with schemas, compiled to ordinary transforms.
export { sql, explainSql, type SqlRow, type SqlInputs } from "./sql-transform.js";
export { SqlError, type SqlPosition } from "./sql-error.js";
