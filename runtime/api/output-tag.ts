// Side outputs: a typed tag names a second output of an operator.

/**
 * Names a side output and fixes its element type.
 *
 * @example
 * const late = new OutputTag<Click>('late-clicks');
 * const lateStream = windowed.sideOutputLateData(late).count().getSideOutput(late);
 */
export class OutputTag<T> {
  readonly id: string;
  declare readonly __type?: T;

  constructor(id: string) {
    if (!id) throw new TypeError('an OutputTag needs a non-empty id');
    this.id = id;
  }
}
