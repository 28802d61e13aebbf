// Beam SQL: queries over PCollections with schemas, compiled to ordinary transforms.
export { sql, explainSql, SqlQueryTransform, type SqlRow, type SqlInputs, type SqlOptions, type SqlPlanOptions, type SqlTypedOptions } from "./sql-transform.js";
export {
  scalarUdf,
  aggregateUdf,
  type SqlScalarUdf,
  type SqlAggregateUdf,
  type SqlFunctions,
  type SqlValueType,
  type SqlJsValue,
} from "./user-functions.js";
export { SqlError, type SqlPosition } from "./sql-error.js";
