// Schema transforms: Beam's org.apache.beam.sdk.schemas.transforms over PCollections with schemas.
export { type FieldName, type FieldPath, type PathValue } from "./field-path.js";
export { select, type NamedSelectedRow, type SelectedRow } from "./select.js";
export { filter, type FieldPredicates } from "./filter.js";
export { addFields, type AddedRow, type NewField } from "./add-fields.js";
export { dropFields, type DroppedRow } from "./drop-fields.js";
export { renameFields, type RenamedRow } from "./rename-fields.js";
export { cast, type CastOptions } from "./cast.js";
export { CastError } from "./cast-rules.js";
export { convert, SchemaMismatchError, type RowClass } from "./convert.js";
export { group, type AggregateAs, type GroupBuilder, type GroupOf, type GroupOutput, type Grouped } from "./group.js";
export { join, type JoinedRow, type JoinFields, type JoinOptions, type JoinType, type PendingJoin } from "./join.js";
export { coGroup, type PendingCoGroup } from "./co-group.js";
export { unnest, type UnnestedRow, type UnnestNaming, type UnnestOptions } from "./unnest.js";
