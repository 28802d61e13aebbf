import type { BoundedWindow, ByteReader, ByteWriter, Coder, Instant, PaneInfo, WindowedValue } from "../model/index.js";
import { readInstant, writeInstant } from "./instant.js";
import { readPane, writePane } from "./pane-coder.js";
import { readWindows, writeWindows } from "./window-coders.js";
import { BufferReader } from "./byte-buffer.js";
import { bytesCoder } from "./primitives.js";
import { CoderUrns } from "./urns.js";

/** Beam's full windowed value: timestamp, windows, pane, then the value. */
class WindowedValueCoder<T> implements Coder<WindowedValue<T>> {
  readonly urn = CoderUrns.windowedValue;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    readonly valueCoder: Coder<T>,
    readonly windowCoder: Coder<BoundedWindow>,
  ) {
    this.components = [valueCoder, windowCoder];
    this.deterministic = valueCoder.deterministic && windowCoder.deterministic;
  }
  encode(wv: WindowedValue<T>, writer: ByteWriter, nested: boolean): void {
    writeInstant(writer, wv.timestamp);
    writeWindows(writer, this.windowCoder, wv.windows);
    writePane(writer, wv.pane);
    this.valueCoder.encode(wv.value, writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): WindowedValue<T> {
    const timestamp = readInstant(reader);
    const windows = readWindows(reader, this.windowCoder);
    const pane = readPane(reader);
    return { value: this.valueCoder.decode(reader, nested), timestamp, windows, pane };
  }
  toString(): string {
    return `windowed_value<${this.valueCoder.toString()}, ${this.windowCoder.toString()}>`;
  }
}

/** The timestamp, windows and pane a param_windowed_value coder gives every value. */
export interface WindowedValueMetadata {
  readonly timestamp: Instant;
  readonly windows: readonly BoundedWindow[];
  readonly pane: PaneInfo;
}

/**
 * Beam's param_windowed_value: only the value is on the wire; timestamp, windows and pane
 * are fixed by the coder's payload (used where all elements share them, e.g. Impulse).
 */
class ParamWindowedValueCoder<T> implements Coder<WindowedValue<T>> {
  readonly urn = CoderUrns.paramWindowedValue;
  readonly components: readonly Coder<unknown>[];
  readonly deterministic: boolean;
  constructor(
    readonly valueCoder: Coder<T>,
    readonly windowCoder: Coder<BoundedWindow>,
    readonly metadata: WindowedValueMetadata,
  ) {
    this.components = [valueCoder, windowCoder];
    this.deterministic = valueCoder.deterministic;
  }
  encode(wv: WindowedValue<T>, writer: ByteWriter, nested: boolean): void {
    this.valueCoder.encode(wv.value, writer, nested);
  }
  decode(reader: ByteReader, nested: boolean): WindowedValue<T> {
    const { timestamp, windows, pane } = this.metadata;
    return { value: this.valueCoder.decode(reader, nested), timestamp, windows, pane };
  }
  toString(): string {
    return `param_windowed_value<${this.valueCoder.toString()}, ${this.windowCoder.toString()}>`;
  }
}

export function windowedValueCoder<T>(valueCoder: Coder<T>, windowCoder: Coder<BoundedWindow>): Coder<WindowedValue<T>> {
  return new WindowedValueCoder(valueCoder, windowCoder);
}

export function paramWindowedValueCoder<T>(
  valueCoder: Coder<T>,
  windowCoder: Coder<BoundedWindow>,
  metadata: WindowedValueMetadata,
): Coder<WindowedValue<T>> {
  return new ParamWindowedValueCoder(valueCoder, windowCoder, metadata);
}

/**
 * Reads the payload of a param_windowed_value coder spec: a windowed value of empty
 * bytes carrying the metadata, as Beam's Java and Python SDKs write it.
 */
export function decodeParamWindowedValuePayload(payload: Uint8Array, windowCoder: Coder<BoundedWindow>): WindowedValueMetadata {
  const { timestamp, windows, pane } = windowedValueCoder(bytesCoder, windowCoder).decode(new BufferReader(payload), true);
  return { timestamp, windows, pane };
}
