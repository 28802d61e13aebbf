import type { Coder, WindowedValue } from "../../../model/index.js";

/**
 * The coders a stage writes its snapshot with: user values always go through a coder (the
 * PCollection's, a key's, an accumulator's, a state cell's), so a checkpoint holds bytes
 * in Beam's encodings, never live JS objects.
 */
export interface SnapshotCoders {
  /** The coder of a PCollection's windowed values: its element coder with its windowing's window coder. */
  windowedValue(pcollection: string): Coder<WindowedValue<unknown>>;
}
