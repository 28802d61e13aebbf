// Schemas are model values: Beam schema types, the schema DSL, value checks, JSON Schema mapping.
export { LogicalTypeUrns, type AtomicType, type BigDecimal, type Field, type FieldType, type Schema } from "./schema-types.js";
export { FieldSpec, t, type FieldSpecs, type LocalDateTime, type OneOfValue, type RowOfFields, type ValueOf } from "./field-types.js";
export { RowSchema, schema, type RowOf, type SchemaOptions } from "./row-schema.js";
export { describeFieldType, enumCases, fieldTypeMismatch, oneOfSchema, rowMismatch } from "./check-value.js";
export { schemaFromJsonSchema } from "./json-schema.js";
