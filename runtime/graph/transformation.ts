// The logical plan a job builds through the DataStream API: a DAG of
// transformations, some physical (they become operators), some virtual
// (partitioning, union, side outputs: they only shape the edges).
import type { OutputTag } from '../api/output-tag.ts';
import type { Source, SourceSplit } from '../connectors/source.ts';
import type { StreamOperator } from '../operators/operator.ts';
import type { Key } from '../state/key.ts';
import type { WatermarkStrategy } from '../time/watermark-strategy.ts';
import type { RecordCodec } from '../network/item-codec.ts';

export type Partitioning =
  | { kind: 'forward' }
  | { kind: 'rebalance' }
  | { kind: 'broadcast' }
  | { kind: 'global' }
  | { kind: 'hash'; keySelector: (value: unknown) => Key };

interface Base {
  id: number;
  name: string;
  uid: string | undefined;
  parallelism: number | undefined;
  /** How this operator's records cross to other TaskManagers (default: msgpack, msgpackRecordCodec). */
  codec?: RecordCodec;
}

export interface SourceTransformation extends Base {
  kind: 'source';
  source: Source<unknown, SourceSplit>;
  watermarkStrategy: WatermarkStrategy<unknown> | undefined;
}

export interface OneInputTransformation extends Base {
  kind: 'one-input';
  input: Transformation;
  createOperator: () => StreamOperator;
  /** Keyed operators read keyed state; they need a hash-partitioned input. */
  keyed: boolean;
}

export interface TwoInputTransformation extends Base {
  kind: 'two-input';
  input1: Transformation;
  input2: Transformation;
  createOperator: () => StreamOperator;
  keyed: boolean;
}

export interface PartitionTransformation extends Base {
  kind: 'partition';
  input: Transformation;
  partitioning: Partitioning;
}

export interface UnionTransformation extends Base {
  kind: 'union';
  inputs: Transformation[];
}

export interface SideOutputTransformation extends Base {
  kind: 'side-output';
  input: Transformation;
  tag: OutputTag<unknown>;
}

export type Transformation =
  | SourceTransformation
  | OneInputTransformation
  | TwoInputTransformation
  | PartitionTransformation
  | UnionTransformation
  | SideOutputTransformation;

export type PhysicalTransformation = SourceTransformation | OneInputTransformation | TwoInputTransformation;

export function isPhysical(t: Transformation): t is PhysicalTransformation {
  return t.kind === 'source' || t.kind === 'one-input' || t.kind === 'two-input';
}
