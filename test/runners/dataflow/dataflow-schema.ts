import { API_METHODS, API_RESOURCES, API_REVISION, type FieldType } from "./dataflow-api-fields.js";

/**
 * A check of JSON values against the Dataflow v1b3 API's request fields (dataflow-api-fields.ts:
 * what a job creation request can reach from Job). It reports every field not listed, every
 * value of the wrong type or format, every value outside an enum, and every output-only field
 * in a request.
 */
type Property = FieldType;

/** The API's methods and resources as the checks read them. */
export const DISCOVERY = { revision: API_REVISION, methods: API_METHODS, schemas: API_RESOURCES as Readonly<Record<string, Property & { properties?: Readonly<Record<string, Property>> }>> };

/** Fields of Job that only the service sets: a creation request carrying one is wrong even where the schema does not mark it readOnly. */
const SERVICE_SET = new Set(["Job.id", "Job.createTime", "Job.currentState", "Job.currentStateTime", "Job.startTime", "Job.stageStates", "Job.replacedByJobId", "Job.jobMetadata", "Job.executionInfo", "Job.pipelineDescription"]);

/**
 * The problems of `value` as a request body of type `schema` (a schema name), each naming the
 * field's path; empty when the value conforms.
 *
 * @example problemsOf("Job", { name: "wc", bogus: 1 }) // ["Job.bogus: not a field of Job"]
 */
export function problemsOf(schema: string, value: unknown): string[] {
  const problems: string[] = [];
  checkRef(schema, value, schema, problems);
  return problems;
}

function checkRef(ref: string, value: unknown, at: string, problems: string[]): void {
  const schema = DISCOVERY.schemas[ref];
  if (schema === undefined) {
    problems.push(`${at}: reaches the schema ${ref}, which beam-ts never sends (not in dataflow-api-fields.ts)`);
    return;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    problems.push(`${at}: expected an object (${ref}), got ${JSON.stringify(value)}`);
    return;
  }
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const property = schema.properties?.[key];
    const where = `${at}.${key}`;
    if (property === undefined) {
      problems.push(`${where}: not a field of ${ref}`);
      continue;
    }
    if (property.readOnly === true || SERVICE_SET.has(`${ref}.${key}`)) problems.push(`${where}: output only, set by the service`);
    check(property, field, where, problems);
  }
}

function check(property: Property, value: unknown, at: string, problems: string[]): void {
  if (property.$ref !== undefined) {
    checkRef(property.$ref, value, at, problems);
    return;
  }
  switch (property.type) {
    case "any":
      return;
    case "string":
      if (typeof value !== "string") problems.push(`${at}: expected a string${property.format !== undefined ? ` (${property.format})` : ""}, got ${JSON.stringify(value)}`);
      else if (property.enum !== undefined && !property.enum.includes(value)) problems.push(`${at}: "${value}" is not one of ${property.enum.join(", ")}`);
      else if (property.format === "int64" && !/^-?\d+$/.test(value)) problems.push(`${at}: expected an int64 as a decimal string, got "${value}"`);
      return;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) problems.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
      else if (property.format === "int32" && (value < -(2 ** 31) || value >= 2 ** 31)) problems.push(`${at}: ${value} is outside int32`);
      return;
    case "number":
      if (typeof value !== "number") problems.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
      return;
    case "boolean":
      if (typeof value !== "boolean") problems.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
      return;
    case "array":
      if (!Array.isArray(value)) problems.push(`${at}: expected an array, got ${JSON.stringify(value)}`);
      else value.forEach((item, i) => check(property.items ?? { type: "any" }, item, `${at}[${i}]`, problems));
      return;
    case "object":
      if (typeof value !== "object" || value === null || Array.isArray(value)) problems.push(`${at}: expected an object, got ${JSON.stringify(value)}`);
      else for (const [k, v] of Object.entries(value)) check(property.additionalProperties ?? { type: "any" }, v, `${at}.${k}`, problems);
      return;
    default:
      problems.push(`${at}: the stored schema has no type for this field`);
  }
}

/** The rules the API states in Job's field descriptions (not expressible as schema types). */
export function jobRuleProblems(job: { name?: unknown; labels?: unknown }): string[] {
  const problems: string[] = [];
  // Job.name: "must match the regular expression [a-z]([-a-z0-9]{0,1022}[a-z0-9])?"
  if (typeof job.name !== "string" || !/^[a-z]([-a-z0-9]{0,1022}[a-z0-9])?$/.test(job.name)) problems.push(`Job.name: ${JSON.stringify(job.name)} does not match [a-z]([-a-z0-9]{0,1022}[a-z0-9])?`);
  // Job.labels: at most 64; values [\p{Ll}\p{Lo}\p{N}_-]{0,63}.
  if (typeof job.labels === "object" && job.labels !== null) {
    const entries = Object.entries(job.labels as Record<string, unknown>);
    if (entries.length > 64) problems.push(`Job.labels: ${entries.length} labels, at most 64`);
    for (const [k, v] of entries) if (typeof v !== "string" || !/^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u.test(v)) problems.push(`Job.labels.${k}: ${JSON.stringify(v)} is not a valid label value`);
  }
  return problems;
}
