// A growable Float32 scratch buffer: one allocation for the largest batch seen, views for the rest.

export class ScratchBuffer {
  private data = new Float32Array(0);

  /** A view of exactly `length` floats; contents are not cleared. */
  view(length: number): Float32Array {
    if (this.data.length < length) this.data = new Float32Array(length);
    return length === this.data.length ? this.data : this.data.subarray(0, length);
  }
}
